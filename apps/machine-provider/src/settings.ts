import type { SettingDefinitions } from "@iri/backend-api";
import { commonSettings, composeSettings, providerEnvPrefix } from "@iri/runtime-kit";
import { machineBackends } from "./backends.js";

const common = commonSettings("machine");

export const machineSettings = composeSettings(
  {
    ...common,
    backend: { ...common.backend, default: "qemu" },
    cpuOvercommitPercent: {
      flag: "cpu-overcommit-percent",
      env: "IRI_MACHINE_PROVIDER_CPU_OVERCOMMIT_PERCENT",
      kind: "integer",
      default: "400",
      min: 1,
      description: "Virtual CPUs offered per 100 host CPUs.",
    },
    memoryOvercommitPercent: {
      flag: "memory-overcommit-percent",
      env: "IRI_MACHINE_PROVIDER_MEMORY_OVERCOMMIT_PERCENT",
      kind: "integer",
      default: "100",
      min: 1,
      description: "Guest memory offered per 100 bytes of host memory (after the reservation).",
    },
    reservedCpus: {
      flag: "reserved-cpus",
      env: "IRI_MACHINE_PROVIDER_RESERVED_CPUS",
      kind: "integer",
      default: "0",
      min: 0,
      description: "Host CPUs kept back from machines.",
    },
    reservedMemoryBytes: {
      flag: "reserved-memory-bytes",
      env: "IRI_MACHINE_PROVIDER_RESERVED_MEMORY_BYTES",
      kind: "integer",
      default: "1073741824",
      min: 0,
      description: "Host memory kept back from machines.",
    },
    localDiskBudgetGib: {
      flag: "local-disk-budget-gib",
      env: "IRI_MACHINE_PROVIDER_LOCAL_DISK_BUDGET_GIB",
      kind: "integer",
      default: "0",
      min: 0,
      description:
        "Host disk space local disks may ask for in total (their size_bytes, all machines); beyond it CreateMachine, AttachVolume and UpdateVolume answer ResourceExhausted. 0: no budget.",
    },
    runtimeName: {
      flag: "runtime-name",
      env: "IRI_MACHINE_PROVIDER_RUNTIME_NAME",
      kind: "string",
      default: "iri-machine-provider",
      description: "runtime_name reported by Version; the poollet uses it as the scheme of machine ids.",
    },
    streamingAddress: {
      flag: "streaming-address",
      env: "IRI_MACHINE_PROVIDER_STREAMING_ADDRESS",
      kind: "string",
      default: "127.0.0.1:20251",
      description: "host:port of the HTTP server behind Exec URLs (Kubernetes remotecommand over WebSocket).",
    },
    streamingBaseUrl: {
      flag: "streaming-base-url",
      env: "IRI_MACHINE_PROVIDER_STREAMING_BASE_URL",
      kind: "string",
      default: "",
      description:
        "Absolute URL prefix of Exec URLs as the poollet reaches the streaming server; empty: http://<streaming-address>.",
    },
    execIdleTimeout: {
      flag: "exec-idle-timeout",
      env: "IRI_MACHINE_PROVIDER_EXEC_IDLE_TIMEOUT",
      kind: "integer",
      default: "900",
      min: 0,
      description:
        "Seconds an Exec session may pass without traffic either way (a stopped client included) before it is closed; 0: never.",
    },
    execMaxSession: {
      flag: "exec-max-session",
      env: "IRI_MACHINE_PROVIDER_EXEC_MAX_SESSION",
      kind: "integer",
      default: "86400",
      min: 0,
      description: "Seconds after which an Exec session is closed, busy or not; 0: never.",
    },
    execSessionsPerMachine: {
      flag: "exec-sessions-per-machine",
      env: "IRI_MACHINE_PROVIDER_EXEC_SESSIONS_PER_MACHINE",
      kind: "integer",
      default: "4",
      min: 1,
      description: "Exec sessions open at once on one machine; more are refused (HTTP 429).",
    },
    execSessions: {
      flag: "exec-sessions",
      env: "IRI_MACHINE_PROVIDER_EXEC_SESSIONS",
      kind: "integer",
      default: "64",
      min: 1,
      description: "Exec sessions open at once on the provider; more are refused (HTTP 429).",
    },
    listMachinesBudgetBytes: {
      flag: "list-budget-bytes",
      env: "IRI_MACHINE_PROVIDER_LIST_BUDGET_BYTES",
      kind: "integer",
      default: "3145728",
      min: 65536,
      description:
        "Bytes every machine together may take in a ListMachines response (ignition, annotations, labels, spec); a CreateMachine or annotation update beyond it answers ResourceExhausted, so that the poollets' 4 MiB List keeps working.",
    },
  } as const satisfies SettingDefinitions,
  machineBackends,
  providerEnvPrefix("machine"),
);
