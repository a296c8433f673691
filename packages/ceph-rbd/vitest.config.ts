import { defineConfig } from "vitest/config";

// Every suite drives the real loopback Ceph (LUKS2 formats take seconds each); files run one at a time.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
