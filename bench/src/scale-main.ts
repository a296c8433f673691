#!/usr/bin/env node
// The pool-scale part of `pnpm bench`, on the real backends of `scripts/services.sh env`:
// - idle-cost-{machine,volume,bucket}: provider CPU and backend calls per idle minute with 1,000 objects;
// - list-volumes-real-N: ListVolumes of those Ceph volumes with their access data against the floor.
// Volumes are the slow part (each create is several Ceph CLI calls): 1,000 take minutes on a loaded 2-core
// host, 5,000 most of an hour with their deletion, so the default is the idle cost's 1,000 (the bytes per
// volume do not depend on N); `--volumes 5000 --list-only` measures the List of 5,000 without the idle cost.
// `--kinds` runs only some of machine, volume, bucket.
// Each verdict line is printed once, as soon as it is measured. Exit 1 only when a run itself failed; 2 on bad
// flags.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { countToolCalls } from "./backend-call-counter.js";
import { storesFromEnv } from "./bucket-benchmark.js";
import { idleVerdictLine } from "./idle-cost.js";
import { killAllProviders } from "./provider-process.js";
import { measureBucketIdle } from "./scale-buckets.js";
import { measureMachineIdle } from "./scale-machines.js";
import { measureVolumeScale } from "./scale-volumes.js";

const LIST_TARGET = 1.5;
const GRPC_GO_MAX_BYTES = 4 * 2 ** 20;

const { values } = parseArgs({
  options: {
    objects: { type: "string" },
    volumes: { type: "string" },
    "window-seconds": { type: "string" },
    kinds: { type: "string" },
    "list-only": { type: "boolean" },
    quick: { type: "boolean" },
  },
});
const whole = (name: string, raw: string | undefined, fallback: number) => {
  const value = Number(raw ?? fallback);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name}: expected a whole number ≥ 1, got ${raw}\n`);
    process.exit(2);
  }
  return value;
};
const objects = whole("objects", values.objects, values.quick ? 20 : 1_000);
const volumes = whole("volumes", values.volumes, values.quick ? 20 : 1_000);
const windowMs = 1000 * whole("window-seconds", values["window-seconds"], values.quick ? 5 : 60);
const KINDS = ["machine", "volume", "bucket"] as const;
const kinds = new Set((values.kinds ?? KINDS.join(",")).split(","));
for (const kind of kinds) {
  if (!(KINDS as readonly string[]).includes(kind)) {
    process.stderr.write(`--kinds: expected some of ${KINDS.join(",")}, got ${kind}\n`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), "iri-bench-scale-"));
// The qemu backend's unprivileged QEMU user must pass through to the state directories (enter, not list).
chmodSync(dir, 0o711);
// What an interrupted run must still undo: volumes and their cephx users, buckets and their users, the pool.
const cleanUps = new Set<() => Promise<void>>();
let interrupted = false;
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void (async () => {
      for (const cleanUp of [...cleanUps].reverse()) await cleanUp().catch(() => undefined);
      killAllProviders();
      rmSync(dir, { recursive: true, force: true });
      process.exit(code);
    })();
  });
}

/** A verdict line, printed once as soon as it is known (run.js collects it from stdout). */
const verdict = (line: string) => console.log(line);
try {
  if (kinds.has("machine")) {
    console.log(
      `${objects.toLocaleString("en-US")} powered-off machines on the qemu backend, then an idle minute …`,
    );
    verdict(
      idleVerdictLine(
        "machine",
        "machines (powered off, qemu backend)",
        await measureMachineIdle(join(dir, "machine"), { objects, windowMs }),
      ),
    );
  }

  const { CEPH_MON_HOST: monitors, CEPH_ADMIN_KEYRING: keyring } = process.env;
  if (kinds.has("volume") && monitors && keyring) {
    const counter = countToolCalls(join(dir, "calls"), ["rbd", "ceph"]);
    console.log(
      `${volumes.toLocaleString("en-US")} empty volumes on Ceph, an idle minute, then ListVolumes …`,
    );
    await measureVolumeScale(
      { monitors, keyring },
      counter,
      join(dir, "volume"),
      { volumes, windowMs, listIterations: values.quick ? 5 : 21, idle: !values["list-only"] },
      cleanUps,
      {
        idle: (cost) => verdict(idleVerdictLine("volume", "volumes on Ceph (rbd/ceph CLI calls)", cost)),
        list: (list, createdPerSecond) => {
          const perVolume = list.responseBytes / volumes;
          const ratio = list.provider.median / list.floor.median;
          verdict(
            `${ratio <= LIST_TARGET ? "PASS" : "MISS"} list-volumes-real-${volumes}: ${ratio.toFixed(2)}× ` +
              `(${list.provider.median.toFixed(1)} ms vs floor ${list.floor.median.toFixed(1)} ms, raw HTTP/2; ` +
              `${(list.responseBytes / 2 ** 20).toFixed(2)} MiB, ${perVolume.toFixed(0)} B per volume with its access data, ` +
              `${Math.floor(GRPC_GO_MAX_BYTES / perVolume).toLocaleString("en-US")} volumes fit 4 MiB; ` +
              `created at ${createdPerSecond.toFixed(1)}/s to AVAILABLE) (target ≤ ${LIST_TARGET}×)`,
          );
        },
      },
    );
  } else if (kinds.has("volume")) {
    verdict(
      "NOT MEASURED idle-cost-volume, list-volumes-real: CEPH_MON_HOST and CEPH_ADMIN_KEYRING are not set",
    );
  }

  const rgw = storesFromEnv().rgw;
  if (kinds.has("bucket") && rgw) {
    console.log(`${objects.toLocaleString("en-US")} buckets on radosgw, then an idle minute …`);
    verdict(
      idleVerdictLine(
        "bucket",
        "buckets on radosgw (admin + S3 requests)",
        await measureBucketIdle(rgw, join(dir, "bucket"), { objects, windowMs }, cleanUps),
      ),
    );
  } else if (kinds.has("bucket")) {
    verdict("NOT MEASURED idle-cost-bucket: rgw is not configured");
  }
} finally {
  killAllProviders();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
