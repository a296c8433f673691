// The README's case tables are the user's reference; they must name every case the suite runs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { caseNames } from "./index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  for (const runtime of ["machine", "volume", "bucket"] as const) {
    it(`lists every ${runtime} case`, () => {
      // A table row whose first cell is the case name, whatever the column padding.
      const missing = caseNames[runtime].filter(
        (name) => !new RegExp(`^\\| \`${name}\` +\\|`, "m").test(readme),
      );
      expect(missing).toEqual([]);
    });
  }
});
