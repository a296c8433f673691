import { defineConfig } from "vitest/config";

// Each file starts real provider processes; run files one after another so that 2 cores are not oversubscribed.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
