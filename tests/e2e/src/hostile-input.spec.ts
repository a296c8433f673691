// Malformed and hostile bytes on every method never crash a provider or make it stop serving; requests past
// the documented limits are refused with a precise code.
import { randomBytes } from "node:crypto";
import { connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, type Runtime, scratchDir, startProvider } from "./provider-process.js";

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

// Request and transport limits: oversized requests, hostile label maps, device names, connections left open at SIGTERM.
const manyLabels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

async function codeOf(call: Promise<unknown>): Promise<Code | "OK"> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

function machineWithVolumes(volumes: { name: string; device: string }[]) {
  return {
    machine: {
      metadata: { labels: { "machinepoollet.ironcore.dev/machine-uid": "u1" } },
      spec: {
        class: "t3-small",
        volumes: volumes.map((v) => ({ ...v, localDisk: { sizeBytes: 1024n ** 3n } })),
      },
    },
  };
}

describe("limits of a provider process", () => {
  it("answers a request over 4 MiB with ResourceExhausted and stores nothing", async () => {
    // The connect client leaves a refused oversized stream half-open; the shutdown grace ends it.
    const provider = await startProvider("machine", `${scratch.dir}/oversized`, [
      "--shutdown-grace-ms",
      "500",
    ]);
    try {
      const client = createRuntimeClient(machine.MachineRuntime, provider.address);
      const request = machineWithVolumes([{ name: "root", device: "oda" }]);
      const oversized = {
        ...request.machine,
        spec: { ...request.machine.spec, ignitionData: new Uint8Array(5 * 2 ** 20) },
      };
      expect(await codeOf(client.createMachine({ machine: oversized }))).toBe(Code.ResourceExhausted);
      const overIgnition = {
        ...request.machine,
        spec: { ...request.machine.spec, ignitionData: new Uint8Array(2 ** 20 + 1) },
      };
      expect(await codeOf(client.createMachine({ machine: overIgnition }))).toBe(Code.InvalidArgument);
      expect((await client.listMachines({})).machines).toEqual([]);
    } finally {
      expect(await provider.kill("SIGTERM")).toBe(0);
    }
  });

  it("refuses 100,000 labels, and a 100,000-label selector, without stalling a concurrent Version", async () => {
    const provider = await startProvider("volume", `${scratch.dir}/labels`);
    try {
      const versionClient = createRuntimeClient(volume.VolumeRuntime, provider.address);
      const hostileClient = createRuntimeClient(volume.VolumeRuntime, provider.address);
      await versionClient.version({});
      const hostile = [
        hostileClient.createVolume({
          volume: {
            metadata: { labels: manyLabels(100_000) },
            spec: { class: "standard", resources: { storageBytes: 1024n ** 3n } },
          },
        }),
        hostileClient.listEvents({ filter: { labelSelector: manyLabels(100_000) } }),
        hostileClient.listVolumes({ filter: { labelSelector: manyLabels(100_000) } }),
      ].map(codeOf);
      let settled = false;
      const codes = Promise.all(hostile).finally(() => {
        settled = true;
      });
      let worstMs = 0;
      while (!settled) {
        const started = performance.now();
        await versionClient.version({});
        worstMs = Math.max(worstMs, performance.now() - started);
      }
      expect(await codes).toEqual([Code.InvalidArgument, Code.InvalidArgument, Code.InvalidArgument]);
      // Before the limits, one such create held the event loop for 8 s (the machinepoollet's heartbeat
      // gives up after 5 s); now its fields are counted before anything is decoded.
      expect(worstMs).toBeLessThan(500);
      expect((await versionClient.listVolumes({})).volumes).toEqual([]);
    } finally {
      expect(await provider.kill("SIGTERM")).toBe(0);
    }
  });

  it("accepts only IronCore device names, unique per machine, also on AttachVolume", async () => {
    const provider = await startProvider("machine", `${scratch.dir}/devices`);
    try {
      const client = createRuntimeClient(machine.MachineRuntime, provider.address);
      for (const volumes of [
        [{ name: "root", device: "../../dev/sda" }],
        [{ name: "root", device: "" }],
        [{ name: "root", device: "ODA" }],
        [{ name: "root", device: "odabc" }],
        [
          { name: "root", device: "oda" },
          { name: "data", device: "oda" },
        ],
      ]) {
        expect(await codeOf(client.createMachine(machineWithVolumes(volumes)))).toBe(Code.InvalidArgument);
      }
      expect((await client.listMachines({})).machines).toEqual([]);

      const created = await client.createMachine(
        machineWithVolumes([
          { name: "root", device: "oda" },
          { name: "data", device: "odab" },
        ]),
      );
      const machineId = created.machine?.metadata?.id ?? "";
      const reuse = { name: "other", device: "odab", localDisk: { sizeBytes: 1024n ** 3n } };
      expect(await codeOf(client.attachVolume({ machineId, volume: reuse }))).toBe(Code.AlreadyExists);
      const bad = { name: "other", device: "sda/../x", localDisk: { sizeBytes: 1024n ** 3n } };
      expect(await codeOf(client.attachVolume({ machineId, volume: bad }))).toBe(Code.InvalidArgument);
      const ok = { name: "other", device: "odc", localDisk: { sizeBytes: 1024n ** 3n } };
      expect(await codeOf(client.attachVolume({ machineId, volume: ok }))).toBe("OK");
      const [listed] = (await client.listMachines({ filter: { id: machineId } })).machines;
      expect(listed?.spec?.volumes.map((v) => v.device)).toEqual(["oda", "odab", "odc"]);
    } finally {
      expect(await provider.kill("SIGTERM")).toBe(0);
    }
  });

  it("never copies an object's annotations into its events", async () => {
    const provider = await startProvider("bucket", `${scratch.dir}/events`);
    try {
      const client = createRuntimeClient(bucket.BucketRuntime, provider.address);
      const uid = { "bucketpoollet.ironcore.dev/bucket-uid": "u1" };
      const big = { "example.com/big": "a".repeat(200 * 1024) };
      await client.createBucket({
        bucket: { metadata: { labels: uid, annotations: big }, spec: { class: "standard" } },
      });
      const events = await eventually("an event about the bucket", async () => {
        const { events } = await client.listEvents({ filter: { labelSelector: uid } });
        return events.length > 0 ? events : undefined;
      });
      for (const e of events) {
        expect(e.spec?.involvedObjectMeta?.labels).toEqual(uid);
        expect(e.spec?.involvedObjectMeta?.annotations).toEqual({});
      }
    } finally {
      expect(await provider.kill("SIGTERM")).toBe(0);
    }
  });

  it.each([
    ["an idle raw connection", Buffer.alloc(0)],
    ["a connection that sent only the HTTP/2 preface", Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")],
  ])("exits 0 on SIGTERM within the grace period and 1 s with %s", async (_, bytes) => {
    const graceMs = 500;
    const provider = await startProvider("machine", `${scratch.dir}/sigterm-${bytes.length}`, [
      "--shutdown-grace-ms",
      String(graceMs),
    ]);
    const socket = netConnect(provider.socketPath);
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    if (bytes.length > 0) socket.write(bytes);
    const started = performance.now();
    expect(await provider.kill("SIGTERM")).toBe(0);
    expect(performance.now() - started).toBeLessThan(graceMs + 1000);
    socket.destroy();
  });
});
