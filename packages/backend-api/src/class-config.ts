/** A volume or bucket class as configured for a provider: IRI capabilities plus backend-specific settings. */
export interface ClassConfig {
  readonly name: string;
  readonly tps: bigint;
  readonly iops: bigint;
  /** Backend-specific settings from the class file, passed through unread by the provider. */
  readonly settings: Readonly<Record<string, unknown>>;
}
