// Prints the Markdown table of an app's flags, environment variables and defaults, for its README and the
// operator's guide (docs/providers/). Usage: node scripts/settings-table.mjs machine|volume|bucket [--update FILE]
// With --update, the table between the lines `<!-- settings:begin -->` and `<!-- settings:end -->` in FILE is
// replaced instead (run `pnpm format` afterwards: it pads the columns; tests compare cells, not padding).
import { readFileSync, writeFileSync } from "node:fs";

const [runtime, option, file] = process.argv.slice(2);
const { [`${runtime}Settings`]: settings } = await import(`../apps/${runtime}-provider/dist/settings.js`);
// Outside code spans, `*` would start emphasis (a formatter then rewrites it) and `|` would end the cell.
const markdownText = (text) =>
  text
    .split("`")
    .map((part, i) => (i % 2 === 0 ? part.replace(/[*|]/g, "\\$&") : part))
    .join("`");
const lines = ["| flag | environment | default | meaning |", "|---|---|---|---|"];
for (const def of Object.values(settings)) {
  const value = def.default === "" ? "(empty)" : `\`${def.default}\``;
  lines.push(`| \`--${def.flag}\` | \`${def.env}\` | ${value} | ${markdownText(def.description)} |`);
}
if (option === "--update" && file) {
  const text = readFileSync(file, "utf8");
  const block = /(<!-- settings:begin -->\n)[\s\S]*?(<!-- settings:end -->)/;
  if (!block.test(text))
    throw new Error(`${file} has no <!-- settings:begin --> … <!-- settings:end --> block`);
  writeFileSync(
    file,
    text.replace(block, (_, begin, end) => `${begin}\n${lines.join("\n")}\n\n${end}`),
  );
} else {
  console.log(lines.join("\n"));
}
