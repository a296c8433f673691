import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { machine } from "@iri/api";
import { ProviderError } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getLiveMachine } from "./lookup.js";

export async function exec(
  ctx: MachineServerContext,
  req: machine.ExecRequest,
): Promise<MessageInitShape<typeof machine.ExecResponseSchema>> {
  getLiveMachine(ctx, req.machineId);
  if (!ctx.backend.exec) {
    throw new ProviderError(Code.Unimplemented, `the ${ctx.backend.name} backend does not support exec`);
  }
  return { url: await ctx.backend.exec(req.machineId) };
}
