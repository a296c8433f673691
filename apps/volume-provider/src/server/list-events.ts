import type { MessageInitShape } from "@bufbuild/protobuf";
import type { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";

export async function listEvents(
  ctx: VolumeServerContext,
  req: volume.ListEventsRequest,
): Promise<MessageInitShape<typeof volume.ListEventsResponseSchema>> {
  const f = req.filter;
  return {
    events: ctx.events.list({
      id: f?.id ?? "",
      labelSelector: f?.labelSelector ?? {},
      fromSeconds: f?.eventsFromTime ?? 0n,
      toSeconds: f?.eventsToTime ?? 0n,
    }),
  };
}
