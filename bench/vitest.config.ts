import { defineConfig } from "vitest/config";

// The smoke test starts real provider processes and times them; nothing else should share the 2 cores.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
