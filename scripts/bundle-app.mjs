#!/usr/bin/env node
// Bundles a provider app into one ESM file, dist/main.js (over tsc's), with a linked source map: a start then
// loads and compiles one file instead of resolving and reading hundreds of modules (docs/decisions.md,
// "Restart in under a second: one bundled file, a compile cache, serving first"). Run from the app's
// directory after `tsc`, as its build script does. Native addons and what finds files next to itself at run
// time stay outside, loaded from node_modules as before.
import { build } from "esbuild";

/** Packages kept out of the bundle: better-sqlite3 loads its compiled addon through its own path. */
const EXTERNAL = ["better-sqlite3"];

await build({
  entryPoints: ["src/main.ts"],
  outdir: "dist",
  // What a backend imports when it opens (after the provider serves) goes into chunks of its own.
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
