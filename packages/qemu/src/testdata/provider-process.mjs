// A stand-in for the machine provider in its own process (built package from dist/): opens the qemu backend
// on a state directory, drives one machine to RUNNING from the test guest, prints "RUNNING <pid>" and then
// idles until it is killed. The crash-safety test kill -9s it and adopts the machine in another process.
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { createQemuBackendFactory, qemuSettings } from "../../dist/index.js";

const config = JSON.parse(process.argv[2] ?? "{}");
const settings = Object.fromEntries(
  Object.entries(qemuSettings).map(([key, def]) => [
    key,
    def.kind === "integer"
      ? Number(def.default)
      : def.kind === "boolean"
        ? def.default === "true"
        : def.default,
  ]),
);
const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
const states = new Map();
const jobs = {
  ensure(key, work) {
    if (!states.has(key)) {
      states.set(key, { status: "running" });
      work({ signal: new AbortController().signal, progress() {} }).then(
        (value) => states.set(key, { status: "succeeded", value }),
        (error) => states.set(key, { status: "failed", error }),
      );
    }
    return states.get(key);
  },
  get: (key) => states.get(key),
  forget: (key) => states.delete(key),
  cancel() {},
  run: (_key, work) => work({ signal: new AbortController().signal, progress() {} }),
};
const { Registry } = await import("prom-client");
const context = {
  stateDir: config.stateDir,
  logger,
  metrics: new Registry(),
  owner: { provider: "machine-provider", instanceId: config.instanceId },
  event() {},
  notify() {},
  jobs,
};
const image = { digest: "sha256:test", ...config.image };
const backend = await createQemuBackendFactory({ imageSource: () => ({ pull: async () => image }) }).open(
  settings,
  context,
);
const intent = {
  id: config.machineId,
  labels: {},
  class: { name: "small", resources: {}, cpus: 1n, memoryBytes: 256n * 1024n * 1024n, settings: {} },
  spec: create(machine.MachineSpecSchema, {
    class: "small",
    volumes: [{ name: "root", device: "oda", localDisk: { sizeBytes: 0n, image: { image: "test-guest" } } }],
  }),
};
const ctx = {
  signal: new AbortController().signal,
  generation: 1n,
  lastObservation: undefined,
  placement: undefined,
  tag: { lineage: "test", generation: 1 },
  event() {},
  report: async () => {},
};
for (;;) {
  const outcome = await backend.apply(intent, ctx);
  if (!outcome.notDone) break;
  await new Promise((resolve) => setTimeout(resolve, Math.min(outcome.notDone.afterMs, 200)));
}
const { readFile } = await import("node:fs/promises");
const pid = (await readFile(`${config.stateDir}/machines/${config.machineId}/qemu.pid`, "utf8")).trim();
process.stdout.write(`RUNNING ${pid}\n`);
setInterval(() => {}, 60_000);
