import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import type { MachineServerContext } from "./context.js";

export async function version(
  ctx: MachineServerContext,
  _req: machine.VersionRequest,
): Promise<MessageInitShape<typeof machine.VersionResponseSchema>> {
  return { runtimeName: ctx.runtimeName, runtimeVersion: ctx.runtimeVersion };
}
