import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classQuantities, loadMachineClasses } from "./machine-classes.js";

const GiB = 1n << 30n;

function classFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "classes-")), "classes.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe("loadMachineClasses", () => {
  it("reads name and capabilities, keeping every resource for the IRI capabilities", () => {
    const [cls] = loadMachineClasses(
      classFile([{ name: "a", capabilities: { cpu: 2, memory: 2 ** 30, gpu: 1 } }]),
    );
    expect(cls).toEqual({
      name: "a",
      resources: { cpu: 2n, memory: GiB, gpu: 1n },
      cpus: 2n,
      memoryBytes: GiB,
    });
  });

  it("rejects duplicates, missing cpu or memory and non-positive values with the location", () => {
    expect(() => loadMachineClasses(classFile([]))).toThrow(/non-empty/);
    expect(() =>
      loadMachineClasses(
        classFile([
          { name: "a", capabilities: { cpu: 1, memory: 1 } },
          { name: "a", capabilities: { cpu: 1, memory: 1 } },
        ]),
      ),
    ).toThrow(/\[1\]\.name: duplicate/);
    expect(() => loadMachineClasses(classFile([{ name: "a", capabilities: { cpu: 1 } }]))).toThrow(
      /cpu and memory/,
    );
    expect(() => loadMachineClasses(classFile([{ name: "a", capabilities: { cpu: 0, memory: 1 } }]))).toThrow(
      /capabilities\.cpu/,
    );
  });
});

describe("classQuantities", () => {
  const classes = [
    { name: "small", resources: {}, cpus: 1n, memoryBytes: 1n * GiB },
    { name: "big", resources: {}, cpus: 4n, memoryBytes: 8n * GiB },
  ];
  const host = { cpus: 4, memoryBytes: 17n * GiB };
  const policy = {
    cpuOvercommitPercent: 200,
    memoryOvercommitPercent: 100,
    reservedCpus: 0,
    reservedMemoryBytes: 2 ** 30,
  };

  it("counts what fits after reservation and overcommit", () => {
    // 8 vCPUs, 16 GiB: small is CPU-bound (8), big is bound by both (2).
    expect(classQuantities(classes, host, policy, new Map())).toEqual(
      new Map([
        ["small", 8n],
        ["big", 2n],
      ]),
    );
  });

  it("subtracts the machines that exist, and never goes below zero", () => {
    expect(classQuantities(classes, host, policy, new Map([["big", 1]]))).toEqual(
      new Map([
        ["small", 4n],
        ["big", 1n],
      ]),
    );
    expect(
      classQuantities(
        classes,
        host,
        policy,
        new Map([
          ["big", 2],
          ["small", 1],
        ]),
      ),
    ).toEqual(
      new Map([
        ["small", 0n],
        ["big", 0n],
      ]),
    );
  });

  it("ignores machines of classes no longer configured", () => {
    expect(classQuantities(classes, host, policy, new Map([["gone", 3]])).get("small")).toBe(8n);
  });
});
