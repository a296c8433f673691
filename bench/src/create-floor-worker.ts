// The floor of a create through gRPC: a connect-node server on HTTP/2 that decodes CreateMachine and answers
// with the machine and a fresh id, nothing else (no validation, no store, no fsync, no reconcile). It runs in
// a worker thread so that, like the provider in its own process, it has an event loop of its own.
import { randomUUID } from "node:crypto";
import { createServer, type Http2Session } from "node:http2";
import { parentPort, workerData } from "node:worker_threads";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { machine } from "@iri/api";

const socketPath = workerData as string;
const sessions = new Set<Http2Session>();
const server = createServer(
  connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    routes: (router) =>
      router.service(machine.MachineRuntime, {
        createMachine(request) {
          return {
            machine: create(machine.MachineSchema, {
              metadata: {
                id: randomUUID(),
                labels: request.machine?.metadata?.labels,
                annotations: request.machine?.metadata?.annotations,
              },
              spec: request.machine?.spec,
              status: { state: machine.MachineState.MACHINE_PENDING },
            }),
          };
        },
      }),
  }),
);
server.on("session", (session) => {
  sessions.add(session);
  session.once("close", () => sessions.delete(session));
});
server.listen(socketPath, () => parentPort?.postMessage("listening"));
parentPort?.on("message", (message) => {
  if (message !== "close") return;
  for (const session of sessions) session.destroy();
  server.close(() => parentPort?.postMessage("closed"));
});
