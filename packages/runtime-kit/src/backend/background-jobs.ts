import type { BackgroundJobs, JobHandle, JobState } from "@iri/backend-api";

interface Job {
  state: JobState<unknown>;
  readonly abort: AbortController;
  readonly done: Promise<unknown>;
  /** Signals of `run` callers still waiting; the job is aborted when the last one aborts. */
  waiters: number;
  progress: Readonly<Record<string, number | string>> | undefined;
}

/**
 * The kit's BackgroundJobs: one run per key at a time, shared by every caller, aborted on `cancel`, when all
 * `run` callers gave up, or when the provider stops (`close`). Settled jobs stay until `forget`, so a backend
 * polling with `get` sees the outcome once.
 */
export class KitBackgroundJobs implements BackgroundJobs {
  readonly #jobs = new Map<string, Job>();
  #closed = false;

  constructor(private readonly onSettled: (key: string) => void = () => undefined) {}

  ensure<T>(key: string, work: (job: JobHandle) => Promise<T>): JobState<T> {
    return (this.#jobs.get(key) ?? this.#start(key, work)).state as JobState<T>;
  }

  get<T>(key: string): JobState<T> | undefined {
    return this.#jobs.get(key)?.state as JobState<T> | undefined;
  }

  async run<T>(key: string, work: (job: JobHandle) => Promise<T>, signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    let job = this.#jobs.get(key);
    // A settled failure is not handed to a new caller: run means "do it (again) now".
    if (job?.state.status === "failed") {
      this.#jobs.delete(key);
      job = undefined;
    }
    job ??= this.#start(key, work);
    if (job.state.status === "succeeded") return job.state.value as T;
    const running = job;
    running.waiters += 1;
    const onAbort = () => {
      running.waiters -= 1;
      if (running.waiters === 0 && running.state.status === "running") running.abort.abort(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return (await Promise.race([
        running.done,
        new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
        ),
      ])) as T;
    } finally {
      if (!signal.aborted) {
        signal.removeEventListener("abort", onAbort);
        running.waiters -= 1;
      }
    }
  }

  cancel(key: string): void {
    this.#jobs.get(key)?.abort.abort(new Error(`job ${key} cancelled`));
  }

  forget(key: string): void {
    const job = this.#jobs.get(key);
    if (job && job.state.status !== "running") this.#jobs.delete(key);
  }

  /** Aborts every running job and waits for them to settle. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#jobs.values()].filter((j) => j.state.status === "running");
    for (const job of running) job.abort.abort(new Error("provider stopping"));
    await Promise.allSettled(running.map((j) => j.done));
  }

  #start<T>(key: string, work: (job: JobHandle) => Promise<T>): Job {
    const abort = new AbortController();
    if (this.#closed) abort.abort(new Error("provider stopping"));
    const job: Job = {
      state: { status: "running", progress: undefined },
      abort,
      waiters: 0,
      progress: undefined,
      done: Promise.resolve(),
    };
    const handle: JobHandle = {
      signal: abort.signal,
      progress: (value) => {
        if (job.state.status === "running") job.state = { status: "running", progress: { ...value } };
      },
    };
    const done = (async () => work(handle))();
    (job as { done: Promise<unknown> }).done = done;
    done.then(
      (value) => {
        job.state = { status: "succeeded", value };
        this.onSettled(key);
      },
      (error: unknown) => {
        job.state = { status: "failed", error };
        this.onSettled(key);
      },
    );
    this.#jobs.set(key, job);
    return job;
  }
}
