import { create, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { machine, volume } from "@iri/api";
import { describe, expect, it } from "vitest";
import { MAX_REQUEST_FIELDS, requireFieldBudget } from "./field-budget.js";

const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));

describe("requireFieldBudget", () => {
  it("passes a large but ordinary request", () => {
    const volumes = Array.from({ length: 64 }, (_, i) => ({
      name: `v${i}`,
      device: "oda",
      connection: { driver: "ceph", handle: "h", attributes: labels(10), secretData: {} },
    }));
    const request = create(machine.CreateMachineRequestSchema, {
      machine: { metadata: { labels: labels(64), annotations: labels(20) }, spec: { class: "c", volumes } },
    });
    expect(() =>
      requireFieldBudget(
        machine.CreateMachineRequestSchema,
        toBinary(machine.CreateMachineRequestSchema, request),
      ),
    ).not.toThrow();
  });

  it("refuses more fields than the budget at any depth, map entries and unknown fields included", () => {
    const request = create(volume.CreateVolumeRequestSchema, {
      volume: { metadata: { labels: labels(MAX_REQUEST_FIELDS) } },
    });
    const bytes = toBinary(volume.CreateVolumeRequestSchema, request);
    expect(() => requireFieldBudget(volume.CreateVolumeRequestSchema, bytes)).toThrow(ConnectError);
    // The same count as unknown top-level fields (field 15, a varint each).
    const unknown = Buffer.alloc(2 * (MAX_REQUEST_FIELDS + 1), Buffer.from([0x78, 0x01]));
    expect(() => requireFieldBudget(volume.CreateVolumeRequestSchema, unknown)).toThrow(
      /more than 10000 fields/,
    );
  });

  it("leaves malformed bytes to the decoder: a sub-message longer than the request ends the walk", () => {
    // Field 1 (machine), length-delimited, declaring 100 bytes of which 3 follow.
    const truncated = Uint8Array.from([0x0a, 100, 0x0a, 0x01, 0x00]);
    expect(() => requireFieldBudget(machine.CreateMachineRequestSchema, truncated)).not.toThrow();
  });

  it("counts 100,000 labels in a few milliseconds, far less than decoding them", () => {
    const request = create(volume.CreateVolumeRequestSchema, {
      volume: { metadata: { labels: labels(100_000) } },
    });
    const bytes = toBinary(volume.CreateVolumeRequestSchema, request);
    const started = performance.now();
    expect(() => requireFieldBudget(volume.CreateVolumeRequestSchema, bytes)).toThrow(ConnectError);
    // The walk stops at the budget; a generous bound for a loaded CI machine.
    expect(performance.now() - started).toBeLessThan(50);
  });
});
