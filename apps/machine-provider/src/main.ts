#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=256
// Heap flags: a small young generation and a bounded old space keep RSS near the live data (docs/decisions.md,
// "Heap flags"); `pnpm start` passes the same ones, and NODE_OPTIONS may override them.
import { runMain } from "@iri/runtime-kit";
import { startMachineProvider } from "./provider.js";
import { machineSettings } from "./settings.js";

runMain("iri-machine-provider", machineSettings, startMachineProvider);
