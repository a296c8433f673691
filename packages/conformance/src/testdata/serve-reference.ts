// Serves a reference runtime over gRPC on a temporary unix socket, as the real providers do.
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { RuntimeKind } from "../subjects/subject.js";
import type { ReferenceOptions } from "./faults.js";
import { registerBucketRuntime } from "./reference-bucket.js";
import { Timers } from "./reference-common.js";
import { registerMachineRuntime } from "./reference-machine.js";
import { registerVolumeRuntime } from "./reference-volume.js";

export interface ReferenceServer {
  address: string;
  close(): Promise<void>;
}

export async function startReference(
  runtime: RuntimeKind,
  options: ReferenceOptions = {},
): Promise<ReferenceServer> {
  const dir = mkdtempSync(join(tmpdir(), "iri-conformance-"));
  const socketPath = join(dir, `${runtime}.sock`);
  const timers = new Timers();
  const register = {
    machine: registerMachineRuntime,
    volume: registerVolumeRuntime,
    bucket: registerBucketRuntime,
  }[runtime];
  const server = http2.createServer(
    connectNodeAdapter({ routes: (router) => register(router, options, timers) }),
  );
  // Client sessions stay open while idle; a closing server must end them itself.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    address: `unix://${socketPath}`,
    async close() {
      timers.clear();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
