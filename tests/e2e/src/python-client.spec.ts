// A non-TypeScript client (grpc C-core through Debian's python3-grpcio, messages built from the shared IRI
// descriptor set) calls all three providers: the proof that stock gRPC clients work unchanged.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../python/iri_client.py", import.meta.url));
const descriptors = fileURLToPath(new URL("../../../../shared/iri/iri-v1alpha1.binpb", import.meta.url));
const scratch = scratchDir("python");
const providers: ProviderProcess[] = [];

beforeAll(async () => {
  for (const runtime of ["machine", "volume", "bucket"] as const) {
    providers.push(await startProvider(runtime, scratch.dir));
  }
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.kill("SIGTERM")));
  scratch.remove();
});

it("python grpcio calls Version, List, Create and Delete on every runtime", async () => {
  const [machineP, volumeP, bucketP] = providers;
  const { stdout } = await run("/usr/bin/python3", [
    script,
    "--descriptors",
    descriptors,
    "--machine",
    machineP?.address ?? "",
    "--volume",
    volumeP?.address ?? "",
    "--bucket",
    bucketP?.address ?? "",
  ]);
  expect(stdout).toMatch(/^\d+ passed, 0 failed$/m);
  expect(stdout).not.toContain("FAIL");
});
