// Reading objects back through List, and waiting for them to converge or disappear, within the run's deadline.

import { check, expectOk, fail } from "./check.js";
import type { CaseContext, ObjectOf } from "./conformance-case.js";
import { pollUntil, sleep } from "./poll.js";
import type { Subject } from "./subjects/subject.js";

/** The object with `id` as List{filter.id} returns it, or undefined when the list is empty. */
export async function getById<S extends Subject>(
  ctx: CaseContext<S>,
  id: string,
): Promise<ObjectOf<S> | undefined> {
  const { subject } = ctx;
  const found = (await expectOk(subject.list({ id }), `List with filter.id=${id}`)) as ObjectOf<S>[];
  check(found.length <= 1, `List with filter.id=${id} returned ${found.length} objects`);
  const object = found[0];
  if (object === undefined) return undefined;
  check(
    object.metadata?.id === id,
    `List with filter.id=${id} returned ${subject.noun} ${object.metadata?.id}`,
  );
  return object;
}

export async function mustGet<S extends Subject>(ctx: CaseContext<S>, id: string): Promise<ObjectOf<S>> {
  const object = await getById(ctx, id);
  if (!object) fail(`${ctx.subject.noun} ${id} is missing from List with filter.id`);
  return object;
}

/** Waits for `state`; the case requires convergence, so not reaching it in time fails the case. */
export async function waitForState<S extends Subject>(
  ctx: CaseContext<S>,
  id: string,
  state: string,
): Promise<ObjectOf<S>> {
  let last = "(not listed)";
  const reached = await pollUntil(pollOptions(ctx), async () => {
    const object = await getById(ctx, id);
    last = object ? ctx.subject.stateName(object) : "(not listed)";
    return object && last === state ? object : undefined;
  });
  if (!reached) {
    fail(
      `this case requires convergence: ${ctx.subject.noun} ${id} did not reach ${state} within ` +
        `${ctx.timing.timeoutMs} ms (last state ${last})`,
    );
  }
  return reached;
}

/**
 * Polls until the object is gone from List; `whilePresent` checks every observation of it before that.
 * Returns false when it is still listed at the deadline.
 */
export async function waitUntilGone<S extends Subject>(
  ctx: CaseContext<S>,
  id: string,
  whilePresent: (object: ObjectOf<S>) => void = () => {},
): Promise<boolean> {
  const gone = await pollUntil(pollOptions(ctx), async () => {
    const object = await getById(ctx, id);
    if (!object) return true;
    whilePresent(object);
    return undefined;
  });
  return gone === true;
}

/**
 * Polls the state until it has been the same over `stableGapMs` and `settled(state)` holds, or the deadline
 * passes; returns every state seen, in order of first appearance. Used to watch transitions without requiring
 * that they finish.
 */
export async function observeStates<S extends Subject>(
  ctx: CaseContext<S>,
  id: string,
  settled: (state: string) => boolean,
): Promise<string[]> {
  const seen: string[] = [];
  let previous: string | undefined;
  let since = Date.now();
  await pollUntil(pollOptions(ctx), async () => {
    const object = await getById(ctx, id);
    const state = object ? ctx.subject.stateName(object) : "(not listed)";
    if (!seen.includes(state)) seen.push(state);
    if (state !== previous) {
      previous = state;
      since = Date.now();
      return undefined;
    }
    return settled(state) && Date.now() - since >= ctx.timing.stableGapMs ? true : undefined;
  });
  return seen;
}

function pollOptions(ctx: CaseContext) {
  return { timeoutMs: ctx.timing.timeoutMs, intervalMs: ctx.timing.pollIntervalMs, signal: ctx.signal };
}

export function pause(ctx: CaseContext, ms: number): Promise<void> {
  return sleep(ms, ctx.signal);
}
