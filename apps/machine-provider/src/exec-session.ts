import type { MachineBackend } from "@iri/backend-api";
import { handleRemoteCommandUpgrade, type RemoteCommandOptions } from "@iri/remotecommand";
import type { ExecSession, Logger } from "@iri/runtime-kit";
import { Counter, type Registry } from "prom-client";

/** Counts ended exec sessions by why they ended (`iri_exec_sessions_ended_total{reason}`). */
export function execSessionsEnded(registry: Registry): Counter<"reason"> {
  return new Counter({
    name: "iri_exec_sessions_ended_total",
    help: "Exec (console) sessions ended, by reason (client closed, idle, too long, stream ended, stream failed, stream error).",
    labelNames: ["reason"],
    registers: [registry],
  });
}

/**
 * Attaches an authorised exec session to the machine's serial console with the Kubernetes remotecommand
 * protocol over WebSocket (v5/v4.channel.k8s.io). The console stream is released when the client goes.
 */
export function serveExecSession(
  session: ExecSession,
  backend: MachineBackend,
  logger: Logger,
  limits: Pick<RemoteCommandOptions, "idleTimeoutMs" | "maxSessionMs">,
  ended: Counter<"reason">,
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
      onSessionEnd: (reason) => {
        ended.inc({ reason });
        logger.info({ machineId: session.machineId, reason }, "exec session ended");
      },
    },
  );
}
