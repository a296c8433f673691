import { clone, create, equals, toBinary } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { type event, volume } from "@iri/api";
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

type VolumeClient = Client<typeof volume.VolumeRuntime>;

export const GIB = 1024n * 1024n * 1024n;

export class VolumeSubject implements Subject<volume.Volume> {
  readonly runtime = "volume";
  readonly noun = "volume";
  readonly objectSchema = volume.VolumeSchema;
  readonly validStates = ["VOLUME_PENDING", "VOLUME_AVAILABLE", "VOLUME_ERROR"];
  readonly createdStates = this.validStates;
  readonly readyState = "VOLUME_AVAILABLE";

  constructor(readonly client: VolumeClient) {}

  async version(requestVersion: string): Promise<VersionInfo> {
    const response = await rpc("Version", () => this.client.version({ version: requestVersion }));
    return { runtimeName: response.runtimeName, runtimeVersion: response.runtimeVersion };
  }

  async listClasses(): Promise<ClassInfo[]> {
    const response = await rpc("Status", () => this.client.status({}));
    return response.volumeClassStatus.map((entry): ClassInfo => {
      const volumeClass = entry.volumeClass;
      if (!volumeClass) return { name: "", problem: "volume_class is nil" };
      if (!volumeClass.capabilities) return { name: volumeClass.name, problem: "capabilities is nil" };
      return { name: volumeClass.name };
    });
  }

  build(options: BuildOptions): volume.Volume {
    return create(volume.VolumeSchema, {
      metadata: { id: options.id ?? "", labels: options.labels, annotations: options.annotations },
      spec: { class: options.className, resources: { storageBytes: GIB } },
    });
  }

  withDifferentSpec(object: volume.Volume): { object: volume.Volume; unknownClass: boolean } {
    const other = clone(volume.VolumeSchema, object);
    other.spec ??= create(volume.VolumeSpecSchema);
    other.spec.resources = create(volume.VolumeResourcesSchema, {
      storageBytes: (object.spec?.resources?.storageBytes ?? GIB) * 2n,
    });
    return { object: other, unknownClass: false };
  }

  bare(): volume.Volume {
    return create(volume.VolumeSchema);
  }

  async create(object: volume.Volume | undefined): Promise<volume.Volume> {
    const response = await rpc("CreateVolume", () => this.client.createVolume({ volume: object }));
    if (!response.volume) throw new Error("CreateVolume returned no volume");
    return response.volume;
  }

  async list(filter?: ListFilter): Promise<volume.Volume[]> {
    const response = await rpc("ListVolumes", () => this.client.listVolumes(listRequest(filter)));
    return response.volumes;
  }

  async delete(id: string): Promise<void> {
    await rpc("DeleteVolume", () => this.client.deleteVolume({ volumeId: id }));
  }

  async listEvents(query?: EventQuery): Promise<event.Event[]> {
    const response = await rpc("ListEvents", () => this.client.listEvents(eventsRequest(query)));
    return response.events;
  }

  serialize(object: volume.Volume): Uint8Array {
    return toBinary(volume.VolumeSchema, object);
  }

  specEquals(a: volume.Volume, b: volume.Volume): boolean {
    if (!a.spec || !b.spec) return a.spec === b.spec;
    return equals(volume.VolumeSpecSchema, a.spec, b.spec);
  }

  stateName(object: volume.Volume): string {
    return enumName(volume.VolumeStateSchema.values, object.status?.state ?? 0);
  }

  incompleteness(object: volume.Volume): string | undefined {
    if (!object.metadata) return "metadata is nil";
    if (!object.spec) return "spec is nil";
    if (!object.spec.resources) return "spec.resources is nil";
    if (!object.status) return "status is nil";
    return undefined;
  }
}
