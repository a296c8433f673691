import type { EventRecorder } from "../events.js";

/**
 * Records why a create was refused (no capacity, a backend precondition) as a Warning event carrying the
 * request's labels: the poollets turn provider events into Kubernetes events through those labels, so the
 * user sees the reason on the object (`kubectl describe`) while the poollet retries.
 */
export function recordRefusedCreate(
  events: EventRecorder,
  request: { id: string; labels: Readonly<Record<string, string>> },
  reason: string,
  message: string,
): void {
  events.record({
    involved: {
      id: request.id,
      labels: request.labels,
      annotations: {},
      createdAt: 0n,
      deletedAt: 0n,
      generation: 0n,
    },
    type: "Warning",
    reason,
    action: "Create",
    message,
  });
}
