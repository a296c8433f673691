// The operator's guide lists every provider's flags exactly as the settings definitions have them: the table
// between the settings markers of docs/providers/<runtime>.md is scripts/settings-table.mjs's output, row for
// row and in order (cells compared trimmed: `pnpm format` pads the columns).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

function tableRows(markdown: string): string[] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim())
        .join(" | "),
    );
}

describe.each(["machine", "volume", "bucket"])("the operator's guide for the %s provider", (runtime) => {
  it("has the generated settings table, current", () => {
    const page = readFileSync(repo(`docs/providers/${runtime}.md`), "utf8");
    const block = /<!-- settings:begin -->\n([\s\S]*?)<!-- settings:end -->/.exec(page)?.[1];
    expect(block, "settings markers").toBeDefined();
    const generated = execFileSync(process.execPath, [repo("scripts/settings-table.mjs"), runtime], {
      encoding: "utf8",
    });
    expect(tableRows(block ?? "")).toEqual(tableRows(generated));
    expect(tableRows(generated).length).toBeGreaterThan(20);
  });
});
