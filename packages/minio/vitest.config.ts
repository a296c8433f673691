import { defineConfig } from "vitest/config";

// Every case talks to a real store (and MinIO's admin bodies cost an argon2id derivation of 64 MiB each): on a
// loaded 2-core machine a case can take several seconds without anything being wrong.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
