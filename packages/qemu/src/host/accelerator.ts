import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import type { Accelerator } from "../model/command-line.js";

export interface AcceleratorChoice {
  readonly accelerator: Accelerator;
  /** Why: shown in the log line and the MachineStarted event. */
  readonly reason: string;
}

/**
 * Decides between KVM and TCG. `/dev/kvm` existing is not enough: on nested or partial virtualisation QEMU
 * opens it and then the guest dies or hangs at its first MSR access. The probe starts a guest-less QEMU with
 * KVM and treats as broken any failure to start, and any CPUID feature of the baseline x86-64 model that KVM
 * cannot provide (QEMU warns "host doesn't support requested feature"), which is how such hosts show up.
 */
export async function chooseAccelerator(
  binary: string,
  wanted: string,
  timeoutMs: number,
): Promise<AcceleratorChoice> {
  if (wanted === "tcg") return { accelerator: "tcg", reason: "configured" };
  const problem = await kvmProblem(binary, timeoutMs);
  if (wanted === "kvm") {
    if (problem) throw new Error(`accelerator kvm was requested but KVM is not usable: ${problem}`);
    return { accelerator: "kvm", reason: "configured" };
  }
  return problem
    ? { accelerator: "tcg", reason: `KVM not usable: ${problem}` }
    : { accelerator: "kvm", reason: "KVM probe passed" };
}

async function kvmProblem(binary: string, timeoutMs: number): Promise<string | undefined> {
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return "/dev/kvm cannot be opened";
  }
  const args = [
    "-machine",
    "q35,accel=kvm",
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-S",
    "-qmp",
    "stdio",
  ];
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    let settled = false;
    const finish = (result: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(result);
    };
    const timer = setTimeout(() => finish(`the KVM probe did not answer within ${timeoutMs} ms`), timeoutMs);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes('"QMP"') && !stdout.includes('"return"')) {
        child.stdin.write('{"execute":"qmp_capabilities"}\n{"execute":"query-kvm"}\n');
      }
      const kvm = /"enabled":\s*(true|false)/.exec(stdout);
      if (!kvm) return;
      const unsupported = /host doesn't support requested feature: ([^\n]+)/.exec(stderr);
      if (kvm[1] !== "true") finish("QEMU reports KVM disabled");
      else if (unsupported) finish(`KVM lacks baseline CPU feature ${unsupported[1]?.trim()}`);
      else finish(undefined);
    });
    child.on("error", (error) => finish(`cannot run ${binary}: ${error.message}`));
    child.on("exit", (code) =>
      finish(`QEMU with KVM exited with ${code}: ${stderr.trim().split("\n").at(-1) ?? ""}`),
    );
  });
}
