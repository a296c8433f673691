// Prints the Markdown table of an app's flags, environment variables and defaults, for its README.
// Usage: node scripts/settings-table.mjs machine|volume|bucket
const runtime = process.argv[2];
const { [`${runtime}Settings`]: settings } = await import(`../apps/${runtime}-provider/dist/settings.js`);
console.log("| flag | environment | default | meaning |");
console.log("|---|---|---|---|");
for (const def of Object.values(settings)) {
  const value = def.default === "" ? "(empty)" : `\`${def.default}\``;
  console.log(`| \`--${def.flag}\` | \`${def.env}\` | ${value} | ${def.description} |`);
}
