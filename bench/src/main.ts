#!/usr/bin/env node
// `pnpm bench`: measures the DESIGN §6 targets that the providers can already be measured against, each
// against a floor measured in the same run on the same machine, and prints a verdict per target.
// Exit codes: 0 (also on a MISS, unless --strict), 1 on a MISS with --strict or when a run failed, 2 bad flags.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { measureChurn } from "./churn-benchmark.js";
import { measureDurableCreates } from "./create-benchmark.js";
import { measureList } from "./list-benchmark.js";
import { measureMachineBoot } from "./machine-boot-benchmark.js";
import { parseOptions, USAGE, UsageError } from "./options.js";
import { killAllProviders } from "./provider-process.js";
import { bootVerdicts, renderBootReport, renderReport, verdicts } from "./report.js";
import {
  measureVolumes,
  removeOpenPoolsSync,
  volumeBenchEnv,
  volumeVerdictLines,
} from "./volume-benchmark.js";

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`${err.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return err.message ? 2 : 0;
  }

  const dir = mkdtempSync(join(tmpdir(), "iri-bench-"));
  // The qemu backend's unprivileged QEMU user must pass through to the state directories (enter, not list).
  chmodSync(dir, 0o711);
  const cleanUp = () => {
    killAllProviders();
    removeOpenPoolsSync();
    rmSync(dir, { recursive: true, force: true });
  };
  // 128 + the signal number, as a shell reports a process that a signal ended.
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(code);
    });
  }
  try {
    let missed = false;
    if (options.suite === "all" || options.suite === "machine") {
      const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
      console.log(
        `IRI provider bench${options.quick ? " (--quick: a smoke run, not a measurement)" : ""}: machine provider, ` +
          `noop backend, ${options.machines.toLocaleString("en-US")} machines, ${options.callers} callers; ` +
          `node ${process.version}, ${availableParallelism()} × ${cpu}`,
      );
      console.log("filling the store and timing ListMachines …");
      const list = await measureList(options, dir);
      console.log(`running ${options.createSeconds} s of concurrent creates, then kill -9 and restart …`);
      const creates = await measureDurableCreates(options, dir);
      console.log(`creating and deleting ${(2 * options.machines).toLocaleString("en-US")} machines …`);
      const churn = await measureChurn(options, dir);
      const results = verdicts(list, creates, churn);
      console.log("");
      console.log(renderReport(list, creates, churn, results));
      missed = results.some((v) => !v.pass);
    }
    if (options.suite === "all" || options.suite === "volume") {
      const env = volumeBenchEnv();
      if (typeof env === "string") {
        console.log(`NOT RUN volume-population, volume-clones: ${env}`);
        missed ||= options.suite === "volume";
      } else {
        const sizes = {
          rootfsBytes: options.quick ? 8 << 20 : 96 << 20,
          clones: options.clones,
          burst: options.burst,
          burstConcurrency: 16,
        };
        console.log(
          `volume provider, ceph backend: populating two ${sizes.rootfsBytes >> 20} MiB images, ${sizes.clones} clones, ` +
            `bursts of ${sizes.burst} volumes, a kill -9 …`,
        );
        mkdirSync(join(dir, "volume"));
        const lines = volumeVerdictLines(await measureVolumes(env, dir, sizes));
        console.log(lines.join("\n"));
        missed ||= lines.some((line) => line.startsWith("MISS"));
      }
    }
    if (options.suite === "all" || options.suite === "qemu") {
      if (!process.env.REGISTRY_ADDR) {
        console.log("NOT RUN machine-boot, rss-machines: REGISTRY_ADDR is not set (scripts/services.sh env)");
        missed ||= options.suite === "qemu";
      } else {
        console.log("machine provider, qemu backend: booting machines against a bare QEMU boot …");
        const boot = await measureMachineBoot(options, dir);
        const results = bootVerdicts(boot);
        console.log("");
        console.log(renderBootReport(boot, results));
        missed ||= results.some((v) => !v.pass);
      }
    }
    return options.strict && missed ? 1 : 0;
  } finally {
    cleanUp();
  }
}

main().then(
  // Exit explicitly: the HTTP/2 sessions of the gRPC clients would otherwise keep the process alive.
  (code) => process.exit(code),
  (err: unknown) => {
    killAllProviders();
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
