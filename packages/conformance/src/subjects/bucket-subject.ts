import { clone, create, equals, toBinary } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { bucket, type event } from "@iri/api";
import { enumName, rpc } from "./rpc.js";
import {
  type BuildOptions,
  type ClassInfo,
  type EventQuery,
  eventsRequest,
  type ListFilter,
  listRequest,
  type Subject,
  type VersionInfo,
} from "./subject.js";

type BucketClient = Client<typeof bucket.BucketRuntime>;

export class BucketSubject implements Subject<bucket.Bucket> {
  readonly runtime = "bucket";
  readonly noun = "bucket";
  readonly objectSchema = bucket.BucketSchema;
  readonly validStates = ["BUCKET_PENDING", "BUCKET_AVAILABLE", "BUCKET_ERROR"];
  readonly createdStates = this.validStates;
  readonly readyState = "BUCKET_AVAILABLE";

  constructor(readonly client: BucketClient) {}

  async version(requestVersion: string): Promise<VersionInfo> {
    const response = await rpc("Version", () => this.client.version({ version: requestVersion }));
    return { runtimeName: response.runtimeName, runtimeVersion: response.runtimeVersion };
  }

  async listClasses(): Promise<ClassInfo[]> {
    const response = await rpc("ListBucketClasses", () => this.client.listBucketClasses({}));
    return response.bucketClasses.map(
      (bucketClass): ClassInfo =>
        bucketClass.capabilities
          ? { name: bucketClass.name }
          : { name: bucketClass.name, problem: "capabilities is nil" },
    );
  }

  build(options: BuildOptions): bucket.Bucket {
    return create(bucket.BucketSchema, {
      metadata: { id: options.id ?? "", labels: options.labels, annotations: options.annotations },
      spec: { class: options.className },
    });
  }

  // A bucket spec is only its class, so a different spec needs a second class; without one the only
  // difference left is an unknown class, which a provider may reject as invalid before looking at the id.
  withDifferentSpec(
    object: bucket.Bucket,
    classNames: readonly string[],
  ): { object: bucket.Bucket; unknownClass: boolean } {
    const current = object.spec?.class ?? "";
    const otherClass = classNames.find((name) => name !== "" && name !== current);
    const other = clone(bucket.BucketSchema, object);
    other.spec = create(bucket.BucketSpecSchema, { class: otherClass ?? `${current}-conformance-other` });
    return { object: other, unknownClass: otherClass === undefined };
  }

  bare(): bucket.Bucket {
    return create(bucket.BucketSchema);
  }

  async create(object: bucket.Bucket | undefined): Promise<bucket.Bucket> {
    const response = await rpc("CreateBucket", () => this.client.createBucket({ bucket: object }));
    if (!response.bucket) throw new Error("CreateBucket returned no bucket");
    return response.bucket;
  }

  async list(filter?: ListFilter): Promise<bucket.Bucket[]> {
    const response = await rpc("ListBuckets", () => this.client.listBuckets(listRequest(filter)));
    return response.buckets;
  }

  async delete(id: string): Promise<void> {
    await rpc("DeleteBucket", () => this.client.deleteBucket({ bucketId: id }));
  }

  async listEvents(query?: EventQuery): Promise<event.Event[]> {
    const response = await rpc("ListEvents", () => this.client.listEvents(eventsRequest(query)));
    return response.events;
  }

  serialize(object: bucket.Bucket): Uint8Array {
    return toBinary(bucket.BucketSchema, object);
  }

  specEquals(a: bucket.Bucket, b: bucket.Bucket): boolean {
    if (!a.spec || !b.spec) return a.spec === b.spec;
    return equals(bucket.BucketSpecSchema, a.spec, b.spec);
  }

  stateName(object: bucket.Bucket): string {
    return enumName(bucket.BucketStateSchema.values, object.status?.state ?? 0);
  }

  incompleteness(object: bucket.Bucket): string | undefined {
    if (!object.metadata) return "metadata is nil";
    if (!object.spec) return "spec is nil";
    if (!object.status) return "status is nil";
    return undefined;
  }
}
