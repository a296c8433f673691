import { describe, expect, it } from "vitest";
import { KitBackgroundJobs } from "./background-jobs.js";

function gate<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("KitBackgroundJobs", () => {
  it("runs one job per key for every caller and shares its result", async () => {
    const jobs = new KitBackgroundJobs();
    const g = gate<string>();
    let runs = 0;
    const work = async () => {
      runs += 1;
      return g.promise;
    };
    const a = jobs.run("image sha256:1", work, new AbortController().signal);
    const b = jobs.run("image sha256:1", work, new AbortController().signal);
    expect(jobs.ensure("image sha256:1", work).status).toBe("running");
    g.resolve("pulled");
    await expect(Promise.all([a, b])).resolves.toEqual(["pulled", "pulled"]);
    expect(runs).toBe(1);
    expect(jobs.get("image sha256:1")).toEqual({ status: "succeeded", value: "pulled" });
  });

  it("aborts the run only when every waiting caller gave up", async () => {
    const jobs = new KitBackgroundJobs();
    let jobSignal: AbortSignal | undefined;
    const work = (job: { signal: AbortSignal }) => {
      jobSignal = job.signal;
      return new Promise<never>((_, reject) =>
        job.signal.addEventListener("abort", () => reject(new Error("stopped"))),
      );
    };
    const one = new AbortController();
    const two = new AbortController();
    const a = jobs.run("k", work, one.signal);
    const b = jobs.run("k", work, two.signal);
    one.abort(new Error("deleted"));
    await expect(a).rejects.toThrow("deleted");
    expect(jobSignal?.aborted).toBe(false);
    two.abort(new Error("deleted too"));
    await expect(b).rejects.toThrow("deleted too");
    expect(jobSignal?.aborted).toBe(true);
  });

  it("keeps a failure for polling, starts afresh after forget, and reports progress", async () => {
    const settled: string[] = [];
    const settledOnce = gate();
    const jobs = new KitBackgroundJobs((key) => {
      settled.push(key);
      settledOnce.resolve();
    });
    const g = gate();
    jobs.ensure("p", async (job) => {
      job.progress({ bytes: 10 });
      await g.promise;
      throw new Error("registry down");
    });
    expect(jobs.get("p")).toEqual({ status: "running", progress: { bytes: 10 } });
    g.resolve();
    await settledOnce.promise;
    expect(jobs.get("p")?.status).toBe("failed");
    expect(settled).toEqual(["p"]);
    // ensure does not retry a settled job by itself...
    expect(jobs.ensure("p", async () => "x").status).toBe("failed");
    jobs.forget("p");
    // ...forget does.
    expect(jobs.ensure("p", async () => "x").status).toBe("running");
  });

  it("cancel and close abort running jobs", async () => {
    const aSettled = gate();
    const jobs = new KitBackgroundJobs((key) => {
      if (key === "a") aSettled.resolve();
    });
    const forever = (job: { signal: AbortSignal }) =>
      new Promise<never>((_, reject) =>
        job.signal.addEventListener("abort", () => reject(job.signal.reason)),
      );
    jobs.ensure("a", forever);
    jobs.ensure("b", forever);
    jobs.cancel("a");
    await aSettled.promise;
    expect(jobs.get("a")?.status).toBe("failed");
    await jobs.close();
    expect(jobs.get("b")?.status).toBe("failed");
  });
});
