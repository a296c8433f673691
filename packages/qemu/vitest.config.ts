import { defineConfig } from "vitest/config";

// The suites boot real QEMU guests under TCG: one file at a time, so that two guests never share the two
// cores with each other's deadlines.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Creates the unprivileged QEMU user when the host has not got it yet (scripts/install-deps.sh does too).
    globalSetup: ["./src/testdata/global-setup.ts"],
  },
});
