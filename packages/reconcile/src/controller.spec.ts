import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { Controller } from "./controller.js";
import { type Deferred, deferred, seededRandom } from "./testdata/helpers.js";
import type { ControllerOptions, Reconciler, Source } from "./types.js";

const started: Controller[] = [];
const openGates: Deferred<void>[] = [];

afterEach(async () => {
  const stopping = started.splice(0).map((c) => c.stop());
  for (const gate of openGates.splice(0)) gate.resolve();
  await Promise.all(stopping);
});

function controller(clock: FakeClock, options: Partial<ControllerOptions> & { reconcile: Reconciler }) {
  const c = new Controller({ name: "test", clock, backoff: { jitter: 0 }, resyncJitter: 0, ...options });
  started.push(c);
  return c;
}

/** A reconciler whose calls block until the test releases them; records the keys it was called with. */
function gated() {
  const calls: string[] = [];
  const gates: { key: string; gate: Deferred<void>; signal: AbortSignal }[] = [];
  const reconcile: Reconciler = async (key, signal) => {
    calls.push(key);
    const gate = deferred();
    gates.push({ key, gate, signal });
    openGates.push(gate);
    await gate.promise;
  };
  const release = (key: string) => {
    const index = gates.findIndex((g) => g.key === key);
    const entry = gates.splice(index, 1)[0];
    if (index < 0 || !entry) throw new Error(`${key} is not running`);
    entry.gate.resolve();
  };
  return { calls, gates, reconcile, release };
}

function counting(behaviour: (key: string, call: number) => Awaited<ReturnType<Reconciler>>) {
  const calls: { key: string; at: number }[] = [];
  return (clock: FakeClock) => ({
    calls,
    reconcile: (async (key) => {
      calls.push({ key, at: clock.now() });
      return behaviour(key, calls.filter((c) => c.key === key).length);
    }) satisfies Reconciler,
  });
}

describe("Controller queue", () => {
  it("de-duplicates keys that wait", async () => {
    const clock = new FakeClock();
    const { calls, reconcile } = counting(() => undefined)(clock);
    const c = controller(clock, { reconcile });
    for (const key of ["a", "b", "a", "a", "b", "c"]) c.enqueue(key);
    expect(c.depth()).toBe(3);
    c.start();
    await clock.flush();
    expect(calls.map((x) => x.key)).toEqual(["a", "b", "c"]);
    expect(c.depth()).toBe(0);
  });

  it("runs at most `concurrency` keys at once and starts the next when one finishes", async () => {
    const clock = new FakeClock();
    const g = gated();
    const c = controller(clock, { reconcile: g.reconcile, concurrency: 3 });
    c.start();
    for (let i = 0; i < 10; i++) c.enqueue(`k${i}`);
    await clock.flush();
    expect(g.calls).toEqual(["k0", "k1", "k2"]);
    expect(c.depth()).toBe(7);
    g.release("k1");
    await clock.flush();
    expect(g.calls).toEqual(["k0", "k1", "k2", "k3"]);
    expect(g.gates.map((x) => x.key)).toEqual(["k0", "k2", "k3"]);
    expect(c.depth()).toBe(6);
  });

  it("reconciles a key enqueued mid-reconcile again afterwards, once, and never concurrently", async () => {
    const clock = new FakeClock();
    const g = gated();
    const c = controller(clock, { reconcile: g.reconcile, concurrency: 4 });
    c.start();
    c.enqueue("a");
    await clock.flush();
    c.enqueue("a");
    c.enqueue("a");
    c.enqueue("a");
    await clock.flush();
    // Three workers are idle, yet "a" must wait for its running reconcile.
    expect(g.calls).toEqual(["a"]);
    g.release("a");
    await clock.flush();
    expect(g.calls).toEqual(["a", "a"]);
    g.release("a");
    await clock.flush();
    expect(g.calls).toEqual(["a", "a"]);
  });

  it("never runs one key on two workers, under random keys, delays and enqueue times", async () => {
    const clock = new FakeClock();
    const random = seededRandom(42);
    const concurrency = 4;
    const active = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    let overlaps = 0;
    const lastEnqueued = new Map<string, number>();
    const lastStarted = new Map<string, number>();
    const c = controller(clock, {
      concurrency,
      reconcile: async (key) => {
        const n = (active.get(key) ?? 0) + 1;
        active.set(key, n);
        if (n > 1) overlaps++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        lastStarted.set(key, clock.now());
        await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.floor(random() * 50)));
        running--;
        active.set(key, (active.get(key) ?? 1) - 1);
        if (random() < 0.1) throw new Error("flaky");
      },
    });
    c.start();
    for (let t = 0; t < 2_000; t++) {
      const burst = Math.floor(random() * 3);
      for (let i = 0; i < burst; i++) {
        const key = `k${Math.floor(random() * 12)}`;
        c.enqueue(key);
        lastEnqueued.set(key, clock.now());
      }
      await clock.advance(1);
    }
    await clock.advance(120_000);

    expect(overlaps).toBe(0);
    expect(maxRunning).toBe(concurrency);
    expect(lastEnqueued.size).toBe(12);
    // Every enqueue was followed by a reconcile that started no earlier.
    for (const [key, at] of lastEnqueued) expect(lastStarted.get(key)).toBeGreaterThanOrEqual(at);
    expect(running).toBe(0);
  });

  it("reports queue depth whenever it changes", async () => {
    const clock = new FakeClock();
    const depths: number[] = [];
    const g = gated();
    const c = controller(clock, {
      reconcile: g.reconcile,
      concurrency: 1,
      hooks: { onQueueDepth: (d) => depths.push(d) },
    });
    c.enqueue("a");
    c.enqueue("b");
    c.enqueue("b");
    c.start();
    await clock.flush();
    g.release("a");
    await clock.flush();
    g.release("b");
    await clock.flush();
    expect(depths).toEqual([1, 2, 1, 0]);
  });
});

describe("Controller results", () => {
  it("retries a failing key with capped exponential back-off until it succeeds", async () => {
    const clock = new FakeClock();
    const failures = 7;
    const { calls, reconcile } = counting((_key, call) => {
      if (call <= failures) throw new Error(`failure ${call}`);
    })(clock);
    const retries: { attempt: number; delayMs: number; error: string }[] = [];
    const c = controller(clock, {
      reconcile,
      backoff: { baseMs: 100, maxMs: 1_000, jitter: 0 },
      hooks: {
        onRetry: (_key, error, attempt, delayMs) => retries.push({ attempt, delayMs, error: String(error) }),
      },
    });
    c.start();
    c.enqueue("a");
    await clock.flush();

    const expected = [100, 200, 400, 800, 1_000, 1_000, 1_000];
    for (const [i, delay] of expected.entries()) {
      expect(calls).toHaveLength(i + 1);
      await clock.advance(delay - 1);
      expect(calls).toHaveLength(i + 1);
      await clock.advance(1);
    }
    expect(calls).toHaveLength(failures + 1);
    expect(retries.map((r) => r.delayMs)).toEqual(expected);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(retries[0]?.error).toBe("Error: failure 1");
    // Success ends the retries and forgets the failures.
    expect(clock.pendingTimers()).toEqual([]);
    await clock.advance(60_000);
    expect(calls).toHaveLength(failures + 1);
  });

  it("starts back-off afresh after a success", async () => {
    const clock = new FakeClock();
    const outcomes = ["fail", "fail", "ok", "fail"];
    const delays: number[] = [];
    const c = controller(clock, {
      reconcile: async () => {
        if (outcomes.shift() === "fail") throw new Error("boom");
      },
      backoff: { baseMs: 100, maxMs: 1_000, jitter: 0 },
      hooks: { onRetry: (_key, _error, _attempt, delayMs) => delays.push(delayMs) },
    });
    c.start();
    c.enqueue("a");
    await clock.advance(300);
    c.enqueue("a");
    await clock.flush();
    expect(delays).toEqual([100, 200, 100]);
  });

  it("jitters retry delays within ±jitter using the given random source", async () => {
    const clock = new FakeClock();
    const delays: number[] = [];
    const c = controller(clock, {
      reconcile: async () => {
        throw new Error("always");
      },
      backoff: { baseMs: 1_000, maxMs: 1_000, jitter: 0.5 },
      random: seededRandom(3),
      hooks: { onRetry: (_key, _error, _attempt, delayMs) => delays.push(delayMs) },
    });
    c.start();
    c.enqueue("a");
    await clock.advance(200_000);
    expect(delays.length).toBeGreaterThan(100);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1_500);
    }
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it("requeues after requeueAfterMs", async () => {
    const clock = new FakeClock();
    const { calls, reconcile } = counting(() => ({ requeueAfterMs: 5_000 }))(clock);
    const c = controller(clock, { reconcile });
    c.start();
    c.enqueue("a");
    await clock.advance(4_999);
    expect(calls.map((x) => x.at)).toEqual([0]);
    await clock.advance(10_001);
    expect(calls.map((x) => x.at)).toEqual([0, 5_000, 10_000, 15_000]);
  });

  it("coalesces a pending retry with an explicit enqueue: the earlier runs, the other is dropped", async () => {
    const clock = new FakeClock();
    const { calls, reconcile } = counting((_key, call) => {
      if (call === 1) throw new Error("once");
    })(clock);
    const c = controller(clock, { reconcile, backoff: { baseMs: 100, jitter: 0 } });
    c.start();
    c.enqueue("a");
    await clock.advance(50);
    c.enqueue("a");
    await clock.advance(10_000);
    expect(calls.map((x) => x.at)).toEqual([0, 50]);
  });

  it("keeps the earlier of two delayed enqueues of a key", async () => {
    const clock = new FakeClock();
    const { calls, reconcile } = counting(() => undefined)(clock);
    const c = controller(clock, { reconcile });
    c.start();
    c.enqueueAfter("a", 500);
    c.enqueueAfter("a", 200);
    c.enqueueAfter("b", 200);
    c.enqueueAfter("b", 500);
    c.enqueue("c");
    c.enqueueAfter("c", 100);
    await clock.advance(1_000);
    expect(calls).toEqual([
      { key: "c", at: 0 },
      { key: "a", at: 200 },
      { key: "b", at: 200 },
    ]);
  });

  it("reports each reconcile's duration and outcome", async () => {
    const clock = new FakeClock();
    const reports: [string, number, string][] = [];
    const c = controller(clock, {
      reconcile: async (key) => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 30));
        if (key === "bad") throw new Error("bad");
      },
      hooks: { onReconciled: (key, ms, outcome) => reports.push([key, ms, outcome]) },
    });
    c.start();
    c.enqueue("good");
    c.enqueue("bad");
    await clock.advance(30);
    expect(reports).toEqual([
      ["good", 30, "success"],
      ["bad", 30, "error"],
    ]);
  });
});

describe("Controller resync and sources", () => {
  it("enqueues every key from listKeys each resync period", async () => {
    const clock = new FakeClock();
    const keys = ["a", "b"];
    const { calls, reconcile } = counting(() => undefined)(clock);
    const c = controller(clock, { reconcile, resyncPeriodMs: 1_000, listKeys: () => keys });
    c.start();
    await clock.advance(999);
    expect(calls).toEqual([]);
    await clock.advance(1);
    keys.push("c");
    await clock.advance(1_000);
    expect(calls).toEqual([
      { key: "a", at: 1_000 },
      { key: "b", at: 1_000 },
      { key: "a", at: 2_000 },
      { key: "b", at: 2_000 },
      { key: "c", at: 2_000 },
    ]);
  });

  it("leaves a failing key's back-off alone on resync", async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const c = controller(clock, {
      backoff: { baseMs: 10_000, maxMs: 10_000, jitter: 0 },
      resyncPeriodMs: 1_000,
      listKeys: () => ["bad"],
      reconcile: async () => {
        calls.push(clock.now());
        throw new Error("backend down");
      },
    });
    c.start();
    c.enqueue("bad");
    await clock.advance(5_000);
    // Five resyncs came and went; the key still waits for its 10 s back-off.
    expect(calls).toEqual([0]);
    await clock.advance(5_000);
    expect(calls).toEqual([0, 10_000]);
  });

  it("spreads resync periods by the jitter", async () => {
    const clock = new FakeClock();
    const { calls, reconcile } = counting(() => undefined)(clock);
    let r = 0;
    const randoms = [0, 0.999];
    const c = controller(clock, {
      reconcile,
      resyncPeriodMs: 1_000,
      resyncJitter: 0.5,
      random: () => randoms[r++ % 2] as number,
      listKeys: () => ["k"],
    });
    c.start();
    await clock.advance(2_200);
    // 500 ms (random 0 → -50 %), then ~1,499 ms (random ≈1 → +50 %).
    expect(calls.map((x) => Math.round(x.at))).toEqual([500, 1_999]);
  });

  it("refuses a resync period without listKeys and nonsensical options", () => {
    const reconcile = async () => undefined;
    expect(() => new Controller({ name: "x", reconcile, resyncPeriodMs: 10 })).toThrow(RangeError);
    expect(() => new Controller({ name: "x", reconcile, concurrency: 0 })).toThrow(RangeError);
    expect(() => new Controller({ name: "x", reconcile, backoff: { baseMs: 10, maxMs: 5 } })).toThrow(
      RangeError,
    );
    expect(() => new Controller({ name: "x", reconcile, backoff: { jitter: 2 } })).toThrow(RangeError);
    expect(() => new Controller({ name: "x", reconcile, resyncJitter: 1 })).toThrow(RangeError);
  });

  it("starts sources added before and after start, and stops them on stop", async () => {
    const clock = new FakeClock();
    const { calls, reconcile } = counting(() => undefined)(clock);
    const log: string[] = [];
    const source = (name: string, key: string): Source => ({
      start(enqueue, enqueueAll) {
        log.push(`start ${name}`);
        enqueue(key);
        enqueueAll();
        return () => log.push(`stop ${name}`);
      },
    });
    const c = controller(clock, { reconcile, listKeys: () => ["all"] });
    c.addSource(source("early", "e"));
    expect(log).toEqual([]);
    c.start();
    c.addSource(source("late", "l"));
    await clock.flush();
    expect(calls.map((x) => x.key).sort()).toEqual(["all", "e", "l"]);
    await c.stop();
    expect(log).toEqual(["start early", "start late", "stop early", "stop late"]);
  });
});

describe("Controller stop", () => {
  it("aborts running reconciles, waits for them, and ignores later enqueues", async () => {
    const clock = new FakeClock();
    const g = gated();
    const c = controller(clock, { reconcile: g.reconcile, concurrency: 2 });
    c.start();
    c.enqueue("a");
    c.enqueue("b");
    c.enqueue("c");
    await clock.flush();
    expect(g.gates.map((x) => x.signal.aborted)).toEqual([false, false]);

    let stopped = false;
    const stopping = c.stop().then(() => {
      stopped = true;
    });
    expect(g.gates.map((x) => x.signal.aborted)).toEqual([true, true]);
    expect(c.depth()).toBe(0);
    g.release("a");
    await clock.flush();
    expect(stopped).toBe(false);
    g.release("b");
    await stopping;
    expect(stopped).toBe(true);

    c.enqueue("d");
    c.enqueueAfter("e", 10);
    await clock.advance(1_000);
    expect(g.calls).toEqual(["a", "b"]);
    expect(clock.pendingTimers()).toEqual([]);
    expect(c.stop()).toBe(c.stop());
  });

  it("drops retries, requeues and timers when stopping", async () => {
    const clock = new FakeClock();
    const gate = deferred();
    const c = controller(clock, {
      resyncPeriodMs: 100,
      listKeys: () => ["r"],
      reconcile: async (key, signal) => {
        if (key === "requeue") return { requeueAfterMs: 10 };
        if (key === "retry") {
          await gate.promise;
          throw signal.reason;
        }
      },
    });
    c.start();
    c.enqueue("requeue");
    c.enqueue("retry");
    c.enqueueAfter("later", 50);
    await clock.flush();
    expect(clock.pendingTimers().length).toBe(3);
    const stopping = c.stop();
    gate.resolve();
    await stopping;
    expect(clock.pendingTimers()).toEqual([]);
  });

  it("resolves at once when nothing runs, also if never started", async () => {
    const c = new Controller({ name: "idle", reconcile: async () => undefined, clock: new FakeClock() });
    await expect(c.stop()).resolves.toBeUndefined();
    expect(() => c.start()).toThrow();
  });
});
