import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classTotals, loadMachineClasses } from "./machine-classes.js";

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
      settings: {},
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

describe("classTotals", () => {
  const classes = [
    { name: "small", resources: {}, cpus: 1n, memoryBytes: 1n * GiB, settings: {} },
    { name: "big", resources: {}, cpus: 4n, memoryBytes: 8n * GiB, settings: {} },
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
    expect(classTotals(classes, host, policy, new Map())).toEqual(
      new Map([
        ["small", 8n],
        ["big", 2n],
      ]),
    );
  });

  it("is a total: a machine of the class leaves its own quantity unchanged, and the poollet's allocatable is exact", () => {
    const before = classTotals(classes, host, policy, new Map());
    const held = new Map([["big", 1]]);
    const after = classTotals(classes, host, policy, held);
    expect(after.get("big")).toBe(before.get("big"));
    // The machinepoollet: allocatable = quantity − its machines of the class.
    expect((after.get("big") ?? 0n) - 1n).toBe(1n);
    // The big machine takes 4 vCPUs and 8 GiB from what small machines could use: 4 more fit.
    expect(after.get("small")).toBe(4n);
  });

  it("never reports less than what is held, and nothing more when the host is full", () => {
    const full = new Map([
      ["big", 2],
      ["small", 1],
    ]);
    expect(classTotals(classes, host, policy, full)).toEqual(
      new Map([
        ["small", 1n],
        ["big", 2n],
      ]),
    );
  });

  it("ignores machines of classes no longer configured beyond what they hold", () => {
    expect(classTotals(classes, host, policy, new Map([["gone", 3]])).get("small")).toBe(8n);
  });
});
