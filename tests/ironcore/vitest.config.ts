import { defineConfig } from "vitest/config";

// One control plane, three providers and their poollets for the whole file; the cases build on each other.
export default defineConfig({
  test: {
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
