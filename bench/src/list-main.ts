#!/usr/bin/env node
// The volume and bucket List part of `pnpm bench`: ListVolumes and ListBuckets of 10,000 records (noop
// backends) against the pre-serialised floor (target ≤ 1.5×, raw HTTP/2). Exit 1 only when a run failed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { killAllProviders } from "./provider-process.js";
import { measureRuntimeList } from "./runtime-list-benchmark.js";

const { values } = parseArgs({ options: { records: { type: "string" }, quick: { type: "boolean" } } });
const records = Number(values.records ?? (values.quick ? 1_000 : 10_000));
if (!Number.isInteger(records) || records < 1) {
  process.stderr.write(`--records: expected a whole number ≥ 1, got ${values.records}\n`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "iri-bench-list-"));
try {
  for (const runtime of ["volume", "bucket"] as const) {
    const method = runtime === "volume" ? "ListVolumes" : "ListBuckets";
    console.log(
      `filling a ${runtime} provider with ${records.toLocaleString("en-US")} records and timing ${method} …`,
    );
    const m = await measureRuntimeList(runtime, records, values.quick ? 5 : 21, dir);
    const ratio = m.provider.median / m.floor.median;
    console.log(
      `${ratio <= 1.5 ? "PASS" : "MISS"} list-${runtime}s-${records / 1000}k-raw: ${ratio.toFixed(2)}× ` +
        `(${m.provider.median.toFixed(1)} ms vs floor ${m.floor.median.toFixed(1)} ms, ` +
        `${(m.responseBytes / 2 ** 20).toFixed(1)} MiB) (target ≤ 1.5×)`,
    );
  }
} finally {
  killAllProviders();
  rmSync(dir, { recursive: true, force: true });
}
