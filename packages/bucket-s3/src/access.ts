import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";

export interface AccessSettings {
  /** URL through which consumers reach the object store, e.g. https://s3.example.com. */
  readonly publicEndpoint: URL;
  /** `<host>/<bucket>` instead of `<bucket>.<host>` in `access.endpoint`. */
  readonly pathStyle: boolean;
  readonly region: string;
}

export interface BucketCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * What a consumer gets for an AVAILABLE bucket. `endpoint` is `<bucket>.<host>[:<port>]` (virtual-host style,
 * as IronCore's ceph-provider reports it) or `<host>[:<port>]/<bucket>` with path style; `secret_data` holds
 * the bucket's own key and where to find it.
 */
export function bucketAccess(
  settings: AccessSettings,
  bucketName: string,
  credentials: BucketCredentials,
): bucket.BucketAccess {
  const url = settings.publicEndpoint;
  const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
  const hostPort = url.port !== "" ? `${url.hostname}:${url.port}` : url.hostname;
  const encode = (value: string) => new TextEncoder().encode(value);
  return create(bucket.BucketAccessSchema, {
    endpoint: settings.pathStyle ? `${hostPort}/${bucketName}` : `${bucketName}.${hostPort}`,
    secretData: {
      AWS_ACCESS_KEY_ID: encode(credentials.accessKeyId),
      AWS_SECRET_ACCESS_KEY: encode(credentials.secretAccessKey),
      BUCKET_NAME: encode(bucketName),
      BUCKET_HOST: encode(url.hostname),
      BUCKET_PORT: encode(port),
      BUCKET_REGION: encode(settings.region),
    },
  });
}

/** The credentials in an observation's access, if it has them. */
export function credentialsOf(access: bucket.BucketAccess | undefined): BucketCredentials | undefined {
  const data = access?.secretData;
  const id = data?.AWS_ACCESS_KEY_ID;
  const secret = data?.AWS_SECRET_ACCESS_KEY;
  if (!id || !secret) return undefined;
  return { accessKeyId: new TextDecoder().decode(id), secretAccessKey: new TextDecoder().decode(secret) };
}
