#!/usr/bin/python3
"""Exercises RADOS Gateway the way the bucket provider will: creates users through the admin ops API with the
admin keys, then uses each user's own keys over S3 (path-style) and checks that they stay apart.

Reads RGW_ENDPOINT, RGW_ADMIN_ACCESS_KEY and RGW_ADMIN_SECRET_KEY from the environment (keys stay off the
command line). Prints one `PASS name` / `FAIL name: why` line per check and `N passed, M failed` last;
exits non-zero on any failure. Run it with Debian's /usr/bin/python3 (python3-boto3).
"""

import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"


class AdminOps:
    """Minimal RGW admin ops client: SigV4 like S3, including x-amz-content-sha256 (S3SigV4Auth adds it)."""

    def __init__(self, endpoint, access_key, secret_key):
        self.endpoint = endpoint.rstrip("/")
        self.credentials = Credentials(access_key, secret_key)

    def call(self, method, resource, params):
        query = urllib.parse.urlencode(params)
        url = f"{self.endpoint}/admin/{resource}?{query}"
        request = AWSRequest(method=method, url=url, data=b"")
        S3SigV4Auth(self.credentials, "s3", REGION).add_auth(request)
        prepared = urllib.request.Request(url, method=method, headers=dict(request.headers.items()))
        try:
            with urllib.request.urlopen(prepared, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} /admin/{resource}: HTTP {error.code} {error.read()[:200]!r}") from None
        return json.loads(body) if body else None

    def create_user(self, uid):
        user = self.call("PUT", "user", {"uid": uid, "display-name": uid, "format": "json"})
        key = user["keys"][0]
        return key["access_key"], key["secret_key"]

    def delete_user(self, uid):
        self.call("DELETE", "user", {"uid": uid, "purge-data": "true", "format": "json"})


def s3_client(endpoint, access_key, secret_key):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, function):
        try:
            function()
        except Exception as error:  # noqa: BLE001 - every failure becomes a FAIL line
            self.failed += 1
            print(f"FAIL {name}: {error}", flush=True)
            return False
        self.passed += 1
        print(f"PASS {name}", flush=True)
        return True


def main():
    endpoint = os.environ["RGW_ENDPOINT"]
    admin = AdminOps(endpoint, os.environ["RGW_ADMIN_ACCESS_KEY"], os.environ["RGW_ADMIN_SECRET_KEY"])
    suffix = secrets.token_hex(4)
    owner_uid, other_uid = f"smoke-owner-{suffix}", f"smoke-other-{suffix}"
    bucket, key, payload = f"smoke-{suffix}", "hello.txt", secrets.token_bytes(4096)
    users = {}
    report = Report()

    def create_users():
        users["owner"] = admin.create_user(owner_uid)
        users["other"] = admin.create_user(other_uid)

    def put_and_get():
        s3 = s3_client(endpoint, *users["owner"])
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=payload)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body != payload:
            raise AssertionError(f"read back {len(body)} bytes that differ from the {len(payload)} written")

    def other_user_denied():
        s3 = s3_client(endpoint, *users["other"])
        try:
            s3.get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("AccessDenied", "403"):
                return
            raise AssertionError(f"expected AccessDenied, got {code}") from None
        raise AssertionError("another user's keys read the object")

    def delete_users():
        admin.delete_user(owner_uid)
        admin.delete_user(other_uid)

    if report.check("rgw-admin-ops-create-users", create_users):
        report.check("rgw-s3-put-get-object", put_and_get)
        report.check("rgw-s3-other-user-denied", other_user_denied)
        report.check("rgw-admin-ops-delete-users", delete_users)
    print(f"{report.passed} passed, {report.failed} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
