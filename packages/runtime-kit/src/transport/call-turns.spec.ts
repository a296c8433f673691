import { once } from "node:events";
import { connect as connectSocket, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../testdata/harness.js";
import { CallTurns } from "./call-turns.js";

/** A clock that moves only when a released call says it worked: each call "costs" `workMs` of loop time. */
function fakeClock() {
  const clock = { now: 0 };
  return { clock, read: () => clock.now };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("CallTurns", () => {
  it("releases the callers in the order they asked", async () => {
    const { clock, read } = fakeClock();
    const turns = new CallTurns(4, read);
    const released: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        turns.take().then(() => {
          released.push(i);
          clock.now += 1;
        }),
      ),
    );
    expect(released).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(turns.waiting).toBe(0);
  });

  it("releases thousands of waiting callers in order, a bounded number per turn of the loop", async () => {
    const { clock, read } = fakeClock();
    const turns = new CallTurns(4, read);
    const released: number[] = [];
    let loopTurns = 0;
    let counting = true;
    const countTurns = () => {
      loopTurns++;
      if (counting) setImmediate(countTurns);
    };
    setImmediate(countTurns);
    await Promise.all(
      Array.from({ length: 5_000 }, (_, i) =>
        turns.take().then(() => {
          released.push(i);
          clock.now += 0.01; // 400 calls fill a slice: the bound of releases per turn decides
        }),
      ),
    );
    counting = false;
    expect(released).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    // At most 64 per turn: at least 5,000 / 64 turns.
    expect(loopTurns).toBeGreaterThanOrEqual(Math.floor(5_000 / 64));
  });

  it("lets the loop read a socket between slices while many callers still wait", async () => {
    // A socket pair on a unix socket: the server's "data" event is what a Status arriving looks like.
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const path = join(dir.path, "t.sock");
    const accepted = new Promise<Socket>((resolve) => {
      const server: Server = createServer(resolve);
      server.listen(path);
      cleanups.push(() => server.close());
    });
    const client = connectSocket(path);
    cleanups.push(() => client.destroy());
    await once(client, "connect");
    const serverSide = await accepted;
    cleanups.push(() => serverSide.destroy());

    const { clock, read } = fakeClock();
    const turns = new CallTurns(4, read);
    const callers = 100;
    let released = 0;
    const all = Array.from({ length: callers }, () =>
      turns.take().then(() => {
        released++;
        clock.now += 2; // two calls fill a 4 ms slice
      }),
    );
    const answered = once(serverSide, "data").then(() => released);
    client.write("status");

    const releasedWhenRead = await answered;
    await Promise.all(all);
    // Read after the first slice or two, not after all 100 calls.
    expect(releasedWhenRead).toBeLessThanOrEqual(4);
    expect(released).toBe(callers);
  });

  it("runs a call that arrives when nothing waits in the next check phase", async () => {
    const turns = new CallTurns(4, () => 0);
    const order: string[] = [];
    const turn = turns.take().then(() => order.push("turn"));
    setImmediate(() => order.push("immediate queued after"));
    await turn;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["turn", "immediate queued after"]);
  });
});
