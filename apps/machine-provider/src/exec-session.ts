import type { MachineBackend } from "@iri/backend-api";
import type { ExecSession, Logger } from "@iri/runtime-kit";

/**
 * Attaches an authorised exec session to the machine's console. The Kubernetes remotecommand protocol
 * (WebSocket, v4/v5 channels) is not served yet: the upgrade is refused with 501 until it is.
 */
export function serveExecSession(session: ExecSession, _backend: MachineBackend, logger: Logger): void {
  logger.warn({ machineId: session.machineId }, "exec: remotecommand protocol not available");
  session.socket.end(
    "HTTP/1.1 501 Not Implemented\r\ncontent-type: text/plain\r\n\r\nremotecommand is not served\n",
  );
}
