#!/usr/bin/env node
// Bundles a provider app into one ES module, dist/main.js (over tsc's), with linked source maps: a start then
// loads and compiles one file instead of resolving and reading hundreds of modules. What a backend imports
// when it opens is split into dist/chunks/, loaded then (docs/decisions.md, "Restart in under a second").
// Run from the app's directory after `tsc`, as its build script does.
import { rmSync } from "node:fs";
import { build } from "esbuild";

/** Kept out of the bundle: better-sqlite3 loads its compiled addon from its own directory. */
const EXTERNAL = ["better-sqlite3"];

// Chunk names carry a content hash: the last build's would otherwise stay beside the new ones.
rmSync("dist/chunks", { recursive: true, force: true });
await build({
  entryPoints: ["src/main.ts"],
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  external: EXTERNAL,
  sourcemap: "linked",
  sourcesContent: false,
  // Bundled CommonJS dependencies call require() for node built-ins; an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __iriCreateRequire } from "node:module";\nconst require = __iriCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
