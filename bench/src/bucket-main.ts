#!/usr/bin/env node
// The bucket part of `pnpm bench`: CreateBucket → AVAILABLE p50/p99 over N buckets per backend (default 50)
// against the floor of the same admin + S3 calls made directly. Needs the stores of `scripts/services.sh env`;
// a store that is not configured is reported as not measured. Exit 1 only when a run itself failed.
import { parseArgs } from "node:util";
import { measureBucketBurst, measureBucketCreates, storesFromEnv } from "./bucket-benchmark.js";
import { killAllProviders } from "./provider-process.js";

const { values } = parseArgs({
  options: { buckets: { type: "string" }, burst: { type: "string" }, quick: { type: "boolean" } },
});
const BURST_CONCURRENCY = 16;
const BURST_TARGET = 1.5;
const STATUS_P99_MS = 50;
const buckets = Number(values.buckets ?? (values.quick ? 5 : 50));
if (!Number.isInteger(buckets) || buckets < 1) {
  process.stderr.write(`--buckets: expected a whole number ≥ 1, got ${values.buckets}\n`);
  process.exit(2);
}

const burst = Number(values.burst ?? (values.quick ? 10 : 100));
if (!Number.isInteger(burst) || burst < 1) {
  process.stderr.write(`--burst: expected a whole number ≥ 1, got ${values.burst}\n`);
  process.exit(2);
}

const stores = storesFromEnv();
const lines: string[] = [];
for (const kind of ["rgw", "minio"] as const) {
  const store = stores[kind];
  if (!store) {
    lines.push(
      `NOT MEASURED bucket-create-${kind}: its store is not configured (source <(bash scripts/services.sh env))`,
    );
    continue;
  }
  console.log(
    `creating ${buckets} buckets on ${kind}: through the provider, the backend alone, and directly …`,
  );
  const m = await measureBucketCreates(kind, store, buckets);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  lines.push(
    `INFO bucket-create-${kind}: provider p50 ${ms(m.provider.p50)} (${ratio(m.provider.p50, m.floor.p50)}), ` +
      `p99 ${ms(m.provider.p99)} (${ratio(m.provider.p99, m.floor.p99)}); backend apply p50 ${ms(m.backendApply.p50)} ` +
      `(${ratio(m.backendApply.p50, m.floor.p50)}); floor p50 ${ms(m.floor.p50)}, p99 ${ms(m.floor.p99)}; ` +
      `${m.buckets} buckets (no DESIGN §6 target)`,
  );
}
if (stores.rgw) {
  console.log(
    `a burst of ${burst} buckets on rgw (${BURST_CONCURRENCY} callers), the direct calls before and after …`,
  );
  const b = await measureBucketBurst(stores.rgw, burst, BURST_CONCURRENCY);
  const ratio = b.providerMs / b.floorMs;
  lines.push(
    `${ratio <= BURST_TARGET ? "PASS" : "MISS"} bucket-burst-${burst}: ${ratio.toFixed(2)}× (${(b.providerMs / 1000).toFixed(1)} s ` +
      `until all AVAILABLE vs ${(b.floorMs / 1000).toFixed(1)} s for the same admin + S3 calls ` +
      `(${b.floorRunsMs.map((ms) => (ms / 1000).toFixed(1)).join(" s before, ")} s after), ${b.concurrency} callers; ` +
      `CPU per bucket: provider ${b.providerCpuMsPerBucket.toFixed(1)} ms, the direct calls' client ${b.floorCpuMsPerBucket.toFixed(1)} ms) ` +
      `(target ≤ ${BURST_TARGET}×)`,
    `${b.statusP99Ms <= STATUS_P99_MS ? "PASS" : "MISS"} status-p99-bucket: ${b.statusP99Ms.toFixed(1)} ms over ` +
      `${b.statusCalls} ListBucketClasses calls during the burst (the bucket runtime has no Status) (target ≤ ${STATUS_P99_MS} ms)`,
  );
} else {
  lines.push("NOT MEASURED bucket-burst, status-p99-bucket: rgw is not configured");
}
console.log(lines.join("\n"));
killAllProviders();
