/** A volume or bucket class as configured for a provider: IRI capabilities plus backend-specific settings. */
export interface ClassConfig {
  readonly name: string;
  readonly tps: bigint;
  readonly iops: bigint;
  /** Backend-specific settings from the class file, passed through unread by the provider. */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A machine class: its IRI capabilities and the cpu and memory every machine of it gets. */
export interface MachineClassConfig {
  readonly name: string;
  /** IRI capabilities, e.g. {cpu: 2n, memory: 4294967296n}. */
  readonly resources: Readonly<Record<string, bigint>>;
  readonly cpus: bigint;
  readonly memoryBytes: bigint;
  /** Backend-specific settings from the class file (e.g. hugepages), passed through unread. */
  readonly settings: Readonly<Record<string, unknown>>;
}
