import type { MessageInitShape } from "@bufbuild/protobuf";
import type { volume } from "@iri/api";
import { listEvents as listRecordedEvents } from "@iri/runtime-kit";
import type { VolumeServerContext } from "./context.js";

export async function listEvents(
  ctx: VolumeServerContext,
  req: volume.ListEventsRequest,
): Promise<MessageInitShape<typeof volume.ListEventsResponseSchema>> {
  return { events: listRecordedEvents(ctx.events, req.filter) };
}
