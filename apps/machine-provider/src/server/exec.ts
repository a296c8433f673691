import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { machine } from "@iri/api";
import { ProviderError, resourceExhausted, TooManyTokensError } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getLiveMachine } from "./lookup.js";

/** A single-use, short-lived URL on the provider's streaming server, attached to the machine's console. */
export async function exec(
  ctx: MachineServerContext,
  req: machine.ExecRequest,
): Promise<MessageInitShape<typeof machine.ExecResponseSchema>> {
  getLiveMachine(ctx, req.machineId);
  if (!ctx.execUrl) {
    throw new ProviderError(
      Code.Unimplemented,
      `the ${ctx.backend.name} backend has no console to exec into`,
    );
  }
  try {
    return { url: ctx.execUrl(req.machineId) };
  } catch (err) {
    if (err instanceof TooManyTokensError) throw resourceExhausted(err.message);
    throw err;
  }
}
