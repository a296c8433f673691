import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("hands out keys once each, in arrival order", () => {
    const queue = new WorkQueue();
    for (const key of ["a", "b", "a", "c", "b"]) queue.add(key);
    expect(queue.length).toBe(3);
    expect([queue.take(), queue.take(), queue.take(), queue.take()]).toEqual(["a", "b", "c", undefined]);
  });

  it("holds a key added while it is processed until done, then queues it once", () => {
    const queue = new WorkQueue();
    queue.add("a");
    expect(queue.take()).toBe("a");
    queue.add("a");
    queue.add("a");
    expect(queue.length).toBe(0);
    expect(queue.take()).toBeUndefined();
    expect(queue.isDue("a")).toBe(true);
    queue.done("a");
    expect(queue.take()).toBe("a");
    queue.done("a");
    expect(queue.take()).toBeUndefined();
    expect(queue.isDue("a")).toBe(false);
  });

  it("keeps order across compaction of a long-lived queue", () => {
    const queue = new WorkQueue();
    const taken: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      queue.add(`k${i}`);
      if (i % 3 === 0) {
        const key = queue.take();
        if (key !== undefined) {
          taken.push(key);
          queue.done(key);
        }
      }
    }
    for (let key = queue.take(); key !== undefined; key = queue.take()) taken.push(key);
    expect(taken).toEqual(Array.from({ length: 5_000 }, (_, i) => `k${i}`));
  });

  it("clear drops waiting and dirty keys", () => {
    const queue = new WorkQueue();
    queue.add("a");
    queue.add("b");
    expect(queue.take()).toBe("a");
    queue.add("a");
    queue.clear();
    queue.done("a");
    expect(queue.length).toBe(0);
    expect(queue.take()).toBeUndefined();
  });
});
