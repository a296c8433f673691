import type { MessageInitShape } from "@bufbuild/protobuf";
import type { bucket } from "@iri/api";
import type { BucketServerContext } from "./context.js";

export async function listEvents(
  ctx: BucketServerContext,
  req: bucket.ListEventsRequest,
): Promise<MessageInitShape<typeof bucket.ListEventsResponseSchema>> {
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
