import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadClassFile } from "./class-file.js";

function classFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "class-file-")), "classes.json");
  writeFileSync(path, content);
  return path;
}

describe("loadClassFile", () => {
  it("reads capabilities and passes settings through; missing capabilities are 0", () => {
    const path = classFile(
      JSON.stringify([
        { name: "fast", capabilities: { tps: 100, iops: 5 }, settings: { pool: "ssd" } },
        { name: "plain" },
      ]),
    );
    expect(loadClassFile(path)).toEqual([
      { name: "fast", tps: 100n, iops: 5n, settings: { pool: "ssd" } },
      { name: "plain", tps: 0n, iops: 0n, settings: {} },
    ]);
  });

  it("names the file and entry of every mistake", () => {
    expect(() => loadClassFile(classFile("{}"))).toThrow(/expected a non-empty JSON array/);
    expect(() => loadClassFile(classFile("[1]"))).toThrow(/\[0\]: expected an object/);
    expect(() => loadClassFile(classFile('[{"name":""}]'))).toThrow(
      /\[0\]\.name: expected a non-empty string/,
    );
    expect(() => loadClassFile(classFile('[{"name":"a"},{"name":"a"}]'))).toThrow(/\[1\]\.name: duplicate/);
    expect(() => loadClassFile(classFile('[{"name":"a","capabilities":{"iops":-1}}]'))).toThrow(
      /\[0\]\.capabilities\.iops: expected a non-negative integer/,
    );
    expect(() => loadClassFile(classFile('[{"name":"a","settings":"x"}]'))).toThrow(/\[0\]\.settings/);
  });
});
