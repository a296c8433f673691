import { type BackendContext, PermanentBackendError, type VolumeClassConfig } from "@iri/backend-api";
import type { CephCli } from "./cli/ceph-cli.js";
import type { Rbd } from "./cli/rbd.js";
import type { ImageNames } from "./names.js";
import type { ResyncListings } from "./pool-listings.js";
import type { QosSettings } from "./qos.js";
import type { VolumeIdentities } from "./volume-identity.js";

/** What every operation of the backend works with, resolved once by `open`. */
export interface BackendDeps {
  readonly cli: CephCli;
  readonly rbd: Rbd;
  readonly names: ImageNames;
  readonly context: BackendContext;
  /** The provider instance id images are tagged with. */
  readonly owner: string;
  /** The pool of classes that name none, first, then the others classes may name. */
  readonly pools: readonly string[];
  readonly monitors: string;
  /** Each volume's own cephx user. */
  readonly identities: VolumeIdentities;
  /** A resync sweep's pool and user listings, read once per sweep instead of once per volume. */
  readonly listings: ResyncListings;
  /** The provider's own cephx identity (for qemu-img, which reads the key from a pipe). */
  readonly admin: { readonly id: string; readonly key: string };
  readonly qos: QosSettings;
}

/** The pool a class's volumes go to: its `settings.pool`, else the default; it must be a configured pool. */
export function poolOfClass(deps: BackendDeps, cls: VolumeClassConfig): string {
  const named = cls.settings.pool;
  if (named === undefined) return deps.pools[0] as string;
  if (typeof named !== "string" || !deps.pools.includes(named)) {
    throw new PermanentBackendError(
      "PoolNotConfigured",
      `class ${cls.name} names pool ${JSON.stringify(named)}, which is not one of the provider's pools (${deps.pools.join(", ")})`,
    );
  }
  return named;
}

/**
 * Asks for reconciles of `ids` once the background job that calls this has settled: its work function
 * returns before the job's state says so, and a reconcile that still saw "running" would wait a poll period.
 */
export function notifyWhenSettled(deps: BackendDeps, ids: readonly string[]): void {
  setImmediate(() => {
    for (const id of ids) deps.context.notify(id);
  });
}
