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
