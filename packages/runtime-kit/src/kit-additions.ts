// Exports added by the lead while the kit was being written; merged into index.ts afterwards.

export type {
  HostServices,
  HostSettings,
  HostWiring,
  ProviderHost,
  ProviderHostOptions,
} from "./host/provider-host.js";
export {
  controllerMetricsHooks,
  removeOrphans,
  startProviderHost,
  trackObjectCount,
} from "./host/provider-host.js";
export { runMain } from "./host/run-main.js";
export type { CreateRecordInput } from "./records/create-record.js";
export { createRecord } from "./records/create-record.js";
export type { RecordFilter } from "./records/list-records.js";
export { listRecords } from "./records/list-records.js";
export { toObjectMetadata } from "./records/object-metadata.js";
export { protoCodec } from "./records/proto-codec.js";
export type { ClassEntry } from "./settings/class-file.js";
export { loadClassFile } from "./settings/class-file.js";
export type { RuntimeKind } from "./settings/common-settings.js";
export { commonSettings } from "./settings/common-settings.js";
export type { SettingDefinition, SettingKind, SettingValues } from "./settings/settings.js";
export { parseSettings, SettingsError, settingsHelp } from "./settings/settings.js";
