import type { volume } from "@iri/api";
import type { VolumeBackend, VolumeClassConfig } from "@iri/backend-api";
import { CapacityLedger, type CapacityLedgerOptions, configuredClass } from "@iri/runtime-kit";
import type { VolumeCollection } from "./volume-store.js";

export type VolumeCapacity = CapacityLedger<volume.VolumeSpec, volume.VolumeStatus>;

/**
 * What each class can still provision, in bytes. The quantity the volumepoollet reads is a total: what the
 * class's volumes hold plus what its storage can still provision (capacity × overprovisioning − every volume
 * and reservation in the same storage); the poollet subtracts its volumes' sizes itself. Which classes share
 * storage is the backend's `capacityGroup`; its capacity is read at start, every minute and on Status.
 */
export function volumeCapacity(
  classes: readonly VolumeClassConfig[],
  volumes: VolumeCollection,
  backend: VolumeBackend,
  overprovisioningPercent: number,
  options?: CapacityLedgerOptions & { backendOpen?: () => Promise<unknown> },
): VolumeCapacity {
  const classOf = (name: string) => configuredClass(classes, name, "volume");
  return new CapacityLedger(
    {
      kind: "volume",
      unit: "bytes",
      classes: classes.map((c) => c.name),
      group: (name) => backend.capacityGroup(classOf(name)),
      ...(options?.backendOpen ? { ready: options.backendOpen } : {}),
      read: async (_group, name) => {
        const { totalBytes } = await backend.capacity(classOf(name));
        return { bytes: (totalBytes * BigInt(overprovisioningPercent)) / 100n };
      },
      perUnit: () => ({ bytes: 1n }),
      holding: (v) => ({ className: v.spec.class, units: v.spec.resources?.storageBytes ?? 0n }),
    },
    volumes,
    options,
  );
}
