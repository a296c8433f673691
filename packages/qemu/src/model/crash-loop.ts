import type { PowerRecord } from "./power-record.js";

/** A guest that ran this long before powering itself off is not crash-looping: its count starts over. */
export const STABLE_RUN_MS = 5 * 60_000;
const FIRST_DELAY_MS = 10_000;
const MAX_DELAY_MS = 5 * 60_000;

/**
 * The record once a guest is found powered off by itself while the spec says on: the exit time and how many
 * quick exits in a row it has made. Idempotent: a record that already notes the exit is returned unchanged.
 */
export function noteGuestExit(record: PowerRecord, now: number): PowerRecord {
  if (record.exitedAt !== undefined) return record;
  const quick = record.startedAt !== undefined && now - record.startedAt < STABLE_RUN_MS;
  return { ...record, exitedAt: now, quickExits: quick ? (record.quickExits ?? 0) + 1 : 0 };
}

/**
 * How long after its exit a guest is started again: at once after the first quick exit, then 10 s doubling
 * up to 5 min, so a guest that powers itself off in a loop costs the host little.
 */
export function restartDelayMs(record: PowerRecord): number {
  const quick = record.quickExits ?? 0;
  if (quick <= 1) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (quick - 2));
}
