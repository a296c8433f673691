import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import { listEvents as listRecordedEvents } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";

export async function listEvents(
  ctx: MachineServerContext,
  req: machine.ListEventsRequest,
): Promise<MessageInitShape<typeof machine.ListEventsResponseSchema>> {
  return { events: listRecordedEvents(ctx.events, req.filter) };
}
