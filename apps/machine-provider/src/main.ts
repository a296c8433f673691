#!/usr/bin/env node
import { runMain } from "@iri/runtime-kit";
import { startMachineProvider } from "./provider.js";
import { machineSettings } from "./settings.js";

runMain("iri-machine-provider", machineSettings, startMachineProvider);
