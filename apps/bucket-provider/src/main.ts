#!/usr/bin/env node
import { runMain } from "@iri/runtime-kit";
import { startBucketProvider } from "./provider.js";
import { bucketSettings } from "./settings.js";

runMain("iri-bucket-provider", bucketSettings, startBucketProvider);
