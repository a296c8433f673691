import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMachineClasses } from "./machine-classes.js";

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
