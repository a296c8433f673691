import { describe, expect, it } from "vitest";
import { KeyedLock } from "./keyed-lock.js";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe("KeyedLock (the image cache's collector against a clone of the same cache image)", () => {
  it("runs sections of one key one after another, in call order, and other keys at once", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const first = gate();
    const collecting = lock.run("pool/cache", async () => {
      order.push("collect: look for clones");
      await first.opened;
      order.push("collect: remove");
    });
    const cloning = lock.run("pool/cache", async () => {
      order.push("clone");
    });
    await lock.run("pool/other", async () => {
      order.push("other key");
    });
    expect(order).toEqual(["collect: look for clones", "other key"]);
    first.open();
    await Promise.all([collecting, cloning]);
    expect(order).toEqual(["collect: look for clones", "other key", "collect: remove", "clone"]);
  });

  it("runs shared sections of a key together, and an exclusive one only between them", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const firstClone = gate();
    const secondClone = gate();
    const clone1 = lock.share("pool/cache", async () => {
      order.push("clone 1 starts");
      await firstClone.opened;
      order.push("clone 1 ends");
    });
    const clone2 = lock.share("pool/cache", async () => {
      order.push("clone 2 starts");
      await secondClone.opened;
      order.push("clone 2 ends");
    });
    const collecting = lock.run("pool/cache", async () => {
      order.push("collect");
    });
    const clone3 = lock.share("pool/cache", async () => {
      order.push("clone 3");
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["clone 1 starts", "clone 2 starts"]);
    secondClone.open();
    await clone2;
    expect(order).toEqual(["clone 1 starts", "clone 2 starts", "clone 2 ends"]);
    firstClone.open();
    await Promise.all([clone1, collecting, clone3]);
    expect(order).toEqual([
      "clone 1 starts",
      "clone 2 starts",
      "clone 2 ends",
      "clone 1 ends",
      "collect",
      "clone 3",
    ]);
  });

  it("releases the key when a section fails", async () => {
    const lock = new KeyedLock();
    await expect(
      lock.run("k", async () => {
        throw new Error("cannot read the cache image");
      }),
    ).rejects.toThrow("cannot read");
    await expect(lock.run("k", async () => "next")).resolves.toBe("next");
  });
});
