import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import type { MachineServerContext } from "./context.js";

export async function listEvents(
  ctx: MachineServerContext,
  req: machine.ListEventsRequest,
): Promise<MessageInitShape<typeof machine.ListEventsResponseSchema>> {
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
