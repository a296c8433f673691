import { createHash } from "node:crypto";
import type { machine } from "@iri/api";

/** 16 hex digits of sha256 over the parts: short enough for QEMU ids (node names stop at 31 characters). */
export function shortHash(...parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 16);
}

function digestOf(data: Readonly<Record<string, Uint8Array>>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(data).sort())
    hash
      .update(key)
      .update("\0")
      .update(data[key] ?? new Uint8Array());
  return hash.digest("hex");
}

function sortedEntries(data: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.keys(data)
      .sort()
      .map((key) => [key, data[key]]),
  );
}

/**
 * A key for a spec volume that changes whenever the volume must be re-attached (a different source, device or
 * credentials) but not when only its size grows, which is a live resize. The QEMU ids of the volume's device
 * derive from it, so the devices QEMU holds say by themselves which spec entries they realise.
 */
export function volumeKey(volume: machine.Volume): string {
  if (volume.connection) {
    const c = volume.connection;
    return shortHash(
      "connection",
      volume.name,
      volume.device,
      c.driver,
      c.handle,
      sortedEntries(c.attributes),
      digestOf(c.secretData),
      digestOf(c.encryptionData),
    );
  }
  return shortHash("local", volume.name, volume.device, volume.localDisk?.image?.image ?? "");
}

/** Like volumeKey, for a NIC: any change of a NIC re-attaches it (as the poollet expects). */
export function networkInterfaceKey(nic: machine.NetworkInterface): string {
  return shortHash("nic", nic.name, nic.networkId, nic.ips.join(","), sortedEntries(nic.attributes));
}

/** A stable, locally administered unicast MAC for a NIC of a machine. */
export function macAddress(machineId: string, nicName: string): string {
  const bytes = createHash("sha256").update(machineId).update("\0").update(nicName).digest();
  const octets = [0x02, bytes[0] ?? 0, bytes[1] ?? 0, bytes[2] ?? 0, bytes[3] ?? 0, bytes[4] ?? 0];
  return octets.map((octet) => octet.toString(16).padStart(2, "0")).join(":");
}
