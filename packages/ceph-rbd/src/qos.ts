/** The RBD image metadata keys the QoS of a class becomes (librbd reads `conf_*` as per-image config). */
export const QOS_METADATA_KEYS = [
  "conf_rbd_qos_iops_limit",
  "conf_rbd_qos_iops_burst",
  "conf_rbd_qos_iops_burst_seconds",
  "conf_rbd_qos_bps_limit",
  "conf_rbd_qos_bps_burst",
  "conf_rbd_qos_bps_burst_seconds",
] as const;

export interface QosSettings {
  /** Bursts allow this multiple of the limit … */
  readonly burstFactor: number;
  /** … for this many seconds. */
  readonly burstSeconds: number;
}

/**
 * The QoS metadata for a class's `iops` and `tps` (bytes/s). A zero capability means "unlimited" and leaves
 * its keys out. Unlike ceph-provider, per-direction keys are not written: the total limit bounds each
 * direction already, and fewer keys mean fewer calls per volume.
 */
export function qosMetadata(iops: bigint, tps: bigint, settings: QosSettings): Map<string, string> {
  const metadata = new Map<string, string>();
  const factor = BigInt(settings.burstFactor);
  const seconds = String(settings.burstSeconds);
  if (iops > 0n) {
    metadata.set("conf_rbd_qos_iops_limit", String(iops));
    metadata.set("conf_rbd_qos_iops_burst", String(iops * factor));
    metadata.set("conf_rbd_qos_iops_burst_seconds", seconds);
  }
  if (tps > 0n) {
    metadata.set("conf_rbd_qos_bps_limit", String(tps));
    metadata.set("conf_rbd_qos_bps_burst", String(tps * factor));
    metadata.set("conf_rbd_qos_bps_burst_seconds", seconds);
  }
  return metadata;
}
