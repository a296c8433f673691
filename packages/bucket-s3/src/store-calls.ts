import { BackendUnavailableError } from "@iri/backend-api";
import { Counter, Histogram, type Registry } from "prom-client";
import { onStore } from "./store-errors.js";

const REQUESTS = "iri_bucket_store_requests_total";
const DURATION = "iri_bucket_store_request_duration_seconds";

type RequestLabels = "backend" | "operation" | "outcome";
type DurationLabels = "backend" | "operation";

/**
 * Every call a bucket backend makes on its object store, with unreachability mapped to
 * BackendUnavailableError (see store-errors.ts) and counted: `iri_bucket_store_requests_total{backend,
 * operation, outcome=ok|error|unavailable}` and their durations, so that a flaky store shows on /metrics.
 */
export class StoreCalls {
  private readonly requests: Counter<RequestLabels>;
  private readonly duration: Histogram<DurationLabels>;

  constructor(
    registry: Registry,
    private readonly backend: string,
  ) {
    // One registry may see more than one backend opened (tests, benchmarks): the series are shared.
    this.requests =
      (registry.getSingleMetric(REQUESTS) as Counter<RequestLabels> | undefined) ??
      new Counter({
        name: REQUESTS,
        help: "Calls of a bucket backend on its object store, by operation and outcome (ok, error, unavailable).",
        labelNames: ["backend", "operation", "outcome"],
        registers: [registry],
      });
    this.duration =
      (registry.getSingleMetric(DURATION) as Histogram<DurationLabels> | undefined) ??
      new Histogram({
        name: DURATION,
        help: "Duration of a bucket backend's calls on its object store, by operation.",
        labelNames: ["backend", "operation"],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      });
  }

  async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const end = this.duration.startTimer({ backend: this.backend, operation });
    try {
      const value = await onStore(operation, call);
      this.requests.inc({ backend: this.backend, operation, outcome: "ok" });
      return value;
    } catch (error) {
      const outcome = error instanceof BackendUnavailableError ? "unavailable" : "error";
      this.requests.inc({ backend: this.backend, operation, outcome });
      throw error;
    } finally {
      end();
    }
  }
}
