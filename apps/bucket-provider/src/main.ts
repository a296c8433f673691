#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --max-old-space-size=256
// Heap flags: a small young generation and a bounded old space keep RSS near the live data, and two malloc
// arenas stop the GC and libuv threads from holding arenas of their own (docs/decisions.md, "Heap flags");
// `pnpm start` and the image's ENTRYPOINT and ENV set the same ones, and NODE_OPTIONS may override the flags.
import { runMain } from "@iri/runtime-kit";
import { startBucketProvider } from "./provider.js";
import { bucketSettings } from "./settings.js";

runMain("iri-bucket-provider", bucketSettings, startBucketProvider);
