import { describe, expect, it } from "vitest";
import { bucketAccess, credentialsOf } from "./access.js";

const credentials = { accessKeyId: "AK", secretAccessKey: "SK" };
const text = (access: ReturnType<typeof bucketAccess>) =>
  Object.fromEntries(Object.entries(access.secretData).map(([k, v]) => [k, new TextDecoder().decode(v)]));

describe("bucket access", () => {
  it("is virtual-host style by default, with the port of the URL", () => {
    const access = bucketAccess(
      { publicEndpoint: new URL("http://s3.example.com:7480"), pathStyle: false, region: "eu-1" },
      "b1",
      credentials,
    );
    expect(access.endpoint).toBe("b1.s3.example.com:7480");
    expect(text(access)).toEqual({
      AWS_ACCESS_KEY_ID: "AK",
      AWS_SECRET_ACCESS_KEY: "SK",
      BUCKET_NAME: "b1",
      BUCKET_HOST: "s3.example.com",
      BUCKET_PORT: "7480",
      BUCKET_REGION: "eu-1",
    });
  });

  it("is <host>/<bucket> with path style, and names the scheme's port when the URL has none", () => {
    const https = bucketAccess(
      { publicEndpoint: new URL("https://s3.example.com"), pathStyle: true, region: "us-east-1" },
      "b2",
      credentials,
    );
    expect(https.endpoint).toBe("s3.example.com/b2");
    expect(text(https).BUCKET_PORT).toBe("443");
    const http = bucketAccess(
      { publicEndpoint: new URL("http://s3.example.com"), pathStyle: false, region: "us-east-1" },
      "b3",
      credentials,
    );
    expect(http.endpoint).toBe("b3.s3.example.com");
    expect(text(http).BUCKET_PORT).toBe("80");
  });

  it("reads the credentials back from an observation's access", () => {
    const access = bucketAccess(
      { publicEndpoint: new URL("http://h"), pathStyle: false, region: "r" },
      "b",
      credentials,
    );
    expect(credentialsOf(access)).toEqual(credentials);
    expect(credentialsOf(undefined)).toBeUndefined();
  });
});
