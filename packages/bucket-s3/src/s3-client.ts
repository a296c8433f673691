import { S3Client } from "@aws-sdk/client-s3";
import type { BucketCredentials } from "./access.js";

export interface S3ClientSettings {
  readonly endpoint: string;
  readonly region: string;
  readonly timeoutMs: number;
}

/**
 * An S3 client for the provider's own calls: path-style (loopback and IP endpoints have no per-bucket DNS),
 * one attempt (the reconciler retries with back-off), short timeouts, and checksums only where S3 requires
 * them (older RGW releases refuse the SDK's default trailing checksums).
 */
export function s3ClientFor(settings: S3ClientSettings, credentials: BucketCredentials): S3Client {
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: settings.timeoutMs, requestTimeout: settings.timeoutMs },
  });
}
