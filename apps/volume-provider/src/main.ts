#!/usr/bin/env node
import { runMain } from "@iri/runtime-kit";
import { startVolumeProvider } from "./provider.js";
import { volumeSettings } from "./settings.js";

runMain("iri-volume-provider", volumeSettings, startVolumeProvider);
