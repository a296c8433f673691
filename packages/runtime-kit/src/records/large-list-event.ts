import type { EventRecorder } from "../events.js";

/** The poollets list every few seconds: one event per method in this window says it without flooding. */
const REPEAT_AFTER_MS = 10 * 60_000;

/**
 * A Warning event for a List response near the 4 MiB a grpc-go client (every poollet) accepts: past it the
 * poollet stops seeing any object, so operators should learn before, where they look (events), not only in a
 * log line. The event is about the provider itself (`involved.id` = its name, no labels): no Kubernetes object
 * owns a List response.
 */
export function largeListEvents(
  events: EventRecorder,
  providerName: string,
  now: () => number = Date.now,
): (method: string, bytes: number) => void {
  const lastRecorded = new Map<string, number>();
  return (method, bytes) => {
    const last = lastRecorded.get(method);
    if (last !== undefined && now() - last < REPEAT_AFTER_MS) return;
    lastRecorded.set(method, now());
    events.record({
      involved: { id: providerName, labels: {} },
      type: "Warning",
      reason: "ListResponseNearLimit",
      action: method,
      message: `${method} answered ${bytes} bytes; grpc-go clients (the poollets) refuse responses above 4194304 bytes. Delete unused objects or split them across providers.`,
    });
  };
}
