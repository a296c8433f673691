import type { MessageInitShape } from "@bufbuild/protobuf";
import type { bucket } from "@iri/api";
import { listEvents as listRecordedEvents } from "@iri/runtime-kit";
import type { BucketServerContext } from "./context.js";

export async function listEvents(
  ctx: BucketServerContext,
  req: bucket.ListEventsRequest,
): Promise<MessageInitShape<typeof bucket.ListEventsResponseSchema>> {
  return { events: listRecordedEvents(ctx.events, req.filter) };
}
