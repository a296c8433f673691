// Malformed and hostile bytes on every method never crash a provider or make it stop serving.
import { randomBytes } from "node:crypto";
import { connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";
import { afterAll, describe, expect, it } from "vitest";
import { type Runtime, scratchDir, startProvider } from "./provider-process.js";

const services = {
  machine: machine.MachineRuntime,
  volume: volume.VolumeRuntime,
  bucket: bucket.BucketRuntime,
};
const scratch = scratchDir("hostile");
afterAll(() => scratch.remove());

/** One gRPC call with a raw body; resolves with the grpc-status the server sent (or "reset"). */
function rawCall(socketPath: string, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const session = http2Connect("http://localhost", { createConnection: () => netConnect(socketPath) });
    session.on("error", () => resolve("reset"));
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let status = "none";
    req.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
    });
    req.on("trailers", (trailers) => {
      status = String(trailers["grpc-status"]);
    });
    req.on("data", () => {});
    req.on("error", () => {
      status = "reset";
    });
    req.on("close", () => {
      session.close();
      resolve(status);
    });
    req.end(body);
  });
}

function frame(payload: Buffer, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}

describe.each(["machine", "volume", "bucket"] as Runtime[])(
  "the %s provider under hostile input",
  (runtime) => {
    it("answers every method's garbage with an error code and keeps serving", async () => {
      const provider = await startProvider(runtime, `${scratch.dir}/${runtime}`);
      try {
        const service = services[runtime];
        const statuses = new Set<string>();
        for (const method of service.methods) {
          const path = `/${service.typeName}/${method.name}`;
          const bodies = [
            frame(randomBytes(64)), // random protobuf
            frame(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), // length far beyond the message
            frame(Buffer.from([0x0a, 0x05, 0x01]), 3), // truncated nested message
            frame(Buffer.alloc(0), 1_000_000), // declared length never delivered
            Buffer.from([0x00, 0x00]), // half a frame header
            frame(Buffer.from([0x12, 0x02, 0xc3, 0x28])), // invalid UTF-8 in a string field
          ];
          for (const body of bodies) statuses.add(await rawCall(provider.socketPath, path, body));
        }
        // Every call is answered with a gRPC status (an error, or OK where random bytes happened to decode),
        // none is left hanging, at least the malformed ones are refused, and the process keeps serving.
        expect([...statuses].filter((s) => s === "none" || s === "reset")).toEqual([]);
        expect(statuses.has("13") || statuses.has("3")).toBe(true);
        const v = await createRuntimeClient(services[runtime], provider.address).version({});
        expect(v.runtimeName).toContain(runtime);
      } finally {
        expect(await provider.kill("SIGTERM")).toBe(0);
      }
    });
  },
);
