import type { MachineBackend } from "@iri/backend-api";
import { handleRemoteCommandUpgrade, type RemoteCommandOptions } from "@iri/remotecommand";
import type { ExecSession, Logger } from "@iri/runtime-kit";

/**
 * Attaches an authorised exec session to the machine's serial console with the Kubernetes remotecommand
 * protocol over WebSocket (v5/v4.channel.k8s.io). The console stream is released when the client goes.
 */
export function serveExecSession(
  session: ExecSession,
  backend: MachineBackend,
  logger: Logger,
  limits: Pick<RemoteCommandOptions, "idleTimeoutMs" | "maxSessionMs">,
): void {
  const openConsole = backend.openConsole?.bind(backend);
  const released = new AbortController();
  session.socket.once("close", () => released.abort());
  handleRemoteCommandUpgrade(
    session.request,
    session.socket,
    session.head,
    async () => {
      if (!openConsole) throw new Error("this backend has no console");
      return openConsole(session.machineId, released.signal);
    },
    {
      ...limits,
      onSessionEnd: (reason) => logger.info({ machineId: session.machineId, reason }, "exec session ended"),
    },
  );
}
