import { describe, expect, it } from "vitest";
import { ProviderMetrics } from "./metrics.js";

describe("ProviderMetrics", () => {
  it("exports event-loop lag, so a stalled loop shows before a poollet's heartbeat times out", async () => {
    const text = await new ProviderMetrics().text();
    expect(text).toContain("iri_nodejs_eventloop_lag_seconds");
    expect(text).toContain("iri_nodejs_eventloop_lag_p99_seconds");
    expect(text).toContain("iri_nodejs_eventloop_lag_max_seconds");
  });

  it("exports the last List size per method and the events kept and dropped", async () => {
    const metrics = new ProviderMetrics({ processMetrics: false });
    metrics.lastListResponseBytes.set({ method: "ListMachines" }, 1234);
    metrics.eventsDropped.inc({ reason: "bytes" });
    const text = await metrics.text();
    expect(text).toContain('iri_list_response_last_bytes{method="ListMachines"} 1234');
    expect(text).toContain('iri_events_dropped_total{reason="bytes"} 1');
    expect(text).toContain("iri_events_bytes 0");
  });
});
