import type { OwnedResource } from "@iri/backend-api";
import type { Controller } from "@iri/reconcile";
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "../logging.js";
import type { ObjectReconciler } from "./object-reconciler.js";
import { judgeOrphans, type OrphanPolicy } from "./orphans.js";
import type { StoreLineage } from "./owner-identity.js";

export interface OrphanScan {
  /** e.g. "volume". */
  kind: string;
  listOwned(): Promise<readonly OwnedResource[]>;
  /** Ids the store holds (records pending deletion included). */
  known(id: string): boolean;
  storedCount(): number;
  reconciler: ObjectReconciler;
  controller: Controller;
}

export interface OrphanScannerOptions {
  scans: readonly OrphanScan[];
  instanceId: string;
  /** The store's lineage as it is now (its high-water mark rises with every create). */
  lineage(): StoreLineage;
  policy: OrphanPolicy;
  /** Scans again this often after a successful one; 0 scans only at start. */
  periodMs: number;
  logger: Logger;
  registry: Registry;
  /** Records a Warning event about a resource that has no record (listed by its id). */
  warn(id: string, reason: string, message: string): void;
}

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/**
 * Looks for backend resources no record owns, after the provider serves (a Ceph or object-store outage
 * must not keep it from starting). What may go is handed to the kind's controller as reconcile work; what is
 * foreign or held back is reported (log + `iri_orphans{kind,verdict}`), never removed; what is quarantined
 * (this instance's, but no proof this store created it) also gets a Warning event `OrphanQuarantined`, once
 * per resource and life. A failing scan is retried with back-off.
 */
export function startOrphanScanner(options: OrphanScannerOptions): { stop(): void } {
  const gauge = new Gauge({
    name: "iri_orphans",
    help: "Backend resources no record owns, by kind and verdict (remove, held, foreign, quarantined).",
    labelNames: ["kind", "verdict"],
    registers: [options.registry],
  });
  const timers = new Set<NodeJS.Timeout>();
  /** `kind/id` of quarantined resources already reported by an event. */
  const reported = new Set<string>();
  let stopped = false;
  const later = (ms: number, run: () => void) => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      run();
    }, ms);
    t.unref();
    timers.add(t);
  };

  const scan = async (s: OrphanScan, attempt: number): Promise<void> => {
    if (stopped) return;
    let owned: readonly OwnedResource[];
    try {
      owned = await s.listOwned();
    } catch (err) {
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
      options.logger.warn(
        { kind: s.kind, attempt: attempt + 1, delayMs: delay, error: (err as Error).message },
        "listing backend resources failed; orphan scan retried",
      );
      later(delay, () => void scan(s, attempt + 1));
      return;
    }
    if (stopped) return;
    const verdict = judgeOrphans(
      owned,
      options.instanceId,
      options.lineage(),
      s.known,
      s.storedCount(),
      options.policy,
    );
    gauge.set({ kind: s.kind, verdict: "remove" }, verdict.remove.length);
    gauge.set({ kind: s.kind, verdict: "held" }, verdict.held.length);
    gauge.set({ kind: s.kind, verdict: "foreign" }, verdict.foreign.length);
    gauge.set({ kind: s.kind, verdict: "quarantined" }, verdict.quarantined.length);
    if (verdict.quarantined.length > 0) {
      options.logger.error(
        {
          kind: s.kind,
          count: verdict.quarantined.length,
          resources: verdict.quarantined.slice(0, 20).map((q) => ({ id: q.resource.id, because: q.because })),
        },
        "backend resources of this instance quarantined: the store cannot vouch for them; an operator decides",
      );
    }
    for (const { resource, because } of verdict.quarantined) {
      const key = `${s.kind}/${resource.id}`;
      if (reported.has(key)) continue;
      reported.add(key);
      options.warn(resource.id, "OrphanQuarantined", `${s.kind} ${resource.id} kept: ${because}`);
    }
    if (verdict.foreign.length > 0) {
      options.logger.warn(
        { kind: s.kind, count: verdict.foreign.length, ids: verdict.foreign.slice(0, 20).map((r) => r.id) },
        "backend resources owned by another provider instance (or untagged) left alone",
      );
    }
    if (verdict.held.length > 0) {
      options.logger.error(
        {
          kind: s.kind,
          count: verdict.held.length,
          because: verdict.heldBecause,
          ids: verdict.held.slice(0, 20).map((r) => r.id),
        },
        "orphaned backend resources kept; remove them by hand or start with --orphan-removal=force",
      );
    }
    for (const id of s.reconciler.setRemovableOrphans(verdict.remove)) {
      options.logger.info({ kind: s.kind, id }, "removing orphaned backend resources");
      s.controller.enqueue(id);
    }
    if (options.periodMs > 0) later(options.periodMs, () => void scan(s, 0));
  };

  for (const s of options.scans) void scan(s, 0);
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
