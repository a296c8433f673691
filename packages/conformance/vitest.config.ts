import { defineConfig } from "vitest/config";

// A reference-runtime case starts a provider and runs the whole suite against it: on a loaded 2-core machine
// that takes more than vitest's default 5 s without anything being wrong.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
