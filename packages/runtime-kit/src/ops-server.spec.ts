import { join } from "node:path";
import { bucket, createRuntimeClient } from "@iri/api";
import { afterEach, describe, expect, it } from "vitest";
import { ProviderMetrics } from "./metrics.js";
import { type OpsServer, startOpsServer } from "./ops-server.js";
import { captureLogger, tempDir } from "./testdata/harness.js";
import { serveRuntime } from "./transport/index.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(metrics: ProviderMetrics, readiness: () => string | undefined): Promise<OpsServer> {
  const ops = await startOpsServer({
    address: "127.0.0.1:0",
    metrics,
    readiness,
    logger: captureLogger().logger,
  });
  cleanups.push(() => ops.close());
  return ops;
}

describe("startOpsServer", () => {
  it("reports the chosen port and serves health and readiness", async () => {
    let notReady: string | undefined = "starting";
    const ops = await start(new ProviderMetrics({ processMetrics: false }), () => notReady);
    expect(ops.port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${ops.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const starting = await fetch(`${base}/readyz`);
    expect(starting.status).toBe(503);
    expect(await starting.text()).toBe("not ready: starting\n");
    notReady = undefined;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("serves Prometheus text with per-method and per-code counters after calls", async () => {
    const metrics = new ProviderMetrics({ defaultLabels: { provider: "bucket-provider" } });
    const ops = await start(metrics, () => undefined);
    const dir = tempDir();
    const server = await serveRuntime({
      socketPath: join(dir.path, "b.sock"),
      logger: captureLogger().logger,
      metrics,
      register: (router) =>
        router.service(bucket.BucketRuntime, {
          version: () => ({ runtimeName: "t", runtimeVersion: "1.0.0" }),
        }),
    });
    cleanups.push(dir.remove, () => server.close());
    const client = createRuntimeClient(bucket.BucketRuntime, `unix://${server.socketPath}`);
    await client.version({});
    await client.listBuckets({}).catch(() => undefined);

    const res = await fetch(`http://127.0.0.1:${ops.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain(
      'iri_grpc_requests_total{method="Version",code="OK",provider="bucket-provider"} 1',
    );
    expect(text).toContain('iri_grpc_requests_total{method="ListBuckets",code="Unimplemented"');
    expect(text).toContain("# TYPE iri_grpc_request_duration_seconds histogram");
    expect(text).toContain("iri_process_resident_memory_bytes");
    for (const line of text.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
      expect(line).toMatch(/^iri_/);
    }
  });

  it("refuses an address without a port", async () => {
    const metrics = new ProviderMetrics({ processMetrics: false });
    await expect(
      startOpsServer({
        address: "localhost",
        metrics,
        readiness: () => undefined,
        logger: captureLogger().logger,
      }),
    ).rejects.toThrow("invalid ops address");
  });
});
