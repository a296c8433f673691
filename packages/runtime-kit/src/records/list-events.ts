import type { event } from "@iri/api";
import type { EventRecorder } from "../events.js";

/** The EventFilter every runtime's ListEvents takes (machine, volume and bucket have identical ones). */
export interface IriEventFilter {
  id: string;
  labelSelector: { [key: string]: string };
  eventsFromTime: bigint;
  eventsToTime: bigint;
}

/** ListEvents for any runtime: filter on involved id and labels, and the inclusive time window in seconds. */
export function listEvents(recorder: EventRecorder, filter: IriEventFilter | undefined): event.Event[] {
  return recorder.list({
    id: filter?.id ?? "",
    labelSelector: filter?.labelSelector ?? {},
    fromSeconds: filter?.eventsFromTime ?? 0n,
    toSeconds: filter?.eventsToTime ?? 0n,
  });
}
