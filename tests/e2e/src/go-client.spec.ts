// A grpc-go client, dialled exactly as the IronCore poollets dial (grpc.NewClient with insecure transport
// credentials and nothing else) and calling with dynamicpb messages built from the shared IRI descriptor set,
// calls all three providers: the proof that the poollets work unchanged against our sockets.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

const run = promisify(execFile);
const goModule = fileURLToPath(new URL("../../go/", import.meta.url));
const descriptors = fileURLToPath(new URL("../../../../shared/iri/iri-v1alpha1.binpb", import.meta.url));
const scratch = scratchDir("go");
const binary = join(scratch.dir, "iri-go-client");
const providers: ProviderProcess[] = [];

beforeAll(async () => {
  // The first build downloads grpc-go and protobuf-go through the module proxy; later builds hit the caches.
  // -buildvcs=false: no VCS stamping, so the build does not depend on git or the checkout's ownership.
  await run("go", ["build", "-buildvcs=false", "-o", binary, "."], {
    cwd: goModule,
    timeout: 300_000,
  });
  for (const runtime of ["machine", "volume", "bucket"] as const) {
    providers.push(await startProvider(runtime, scratch.dir));
  }
}, 360_000);

afterAll(async () => {
  await Promise.all(providers.map((p) => p.kill("SIGTERM")));
  scratch.remove();
});

it("grpc-go calls Version, Status, Create, List and Delete on every runtime", async () => {
  const [machineP, volumeP, bucketP] = providers;
  const args = [
    "--descriptors",
    descriptors,
    "--machine",
    machineP?.address ?? "",
    "--volume",
    volumeP?.address ?? "",
    "--bucket",
    bucketP?.address ?? "",
  ];
  // A failing check exits 1; keep its stdout so that the FAIL lines show in the assertion.
  const stdout = await run(binary, args, { timeout: 90_000 }).then(
    (result) => result.stdout,
    (err: { stdout?: string; stderr?: string; message?: string }) =>
      `${err.stdout ?? ""}\n${err.stderr ?? err.message ?? String(err)}`,
  );
  expect(stdout).not.toContain("FAIL");
  expect(stdout).toMatch(/^\d+ passed, 0 failed$/m);
});
