import { join } from "node:path";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventRecorder } from "../events.js";
import { captureLogger, tempDir } from "../testdata/harness.js";
import { largeListEvents } from "./large-list-event.js";

let dir: ReturnType<typeof tempDir>;
let db: Database;
beforeEach(() => {
  dir = tempDir();
  db = openDatabase({ path: join(dir.path, "store.db") });
});
afterEach(async () => {
  await db.close();
  dir.remove();
});

describe("largeListEvents", () => {
  it("records a Warning about the provider with the size, once per method per ten minutes", async () => {
    let now = Date.UTC(2026, 0, 1);
    const events = new EventRecorder({ db, logger: captureLogger().logger, now: () => now });
    const warn = largeListEvents(events, "volume-provider", () => now);
    warn("ListVolumes", 3_500_000);
    warn("ListVolumes", 3_600_000);
    warn("ListVolumeSnapshots", 3_200_000);
    now += 10 * 60_000;
    warn("ListVolumes", 3_700_000);
    const recorded = events
      .list({ id: "volume-provider" })
      .map((e) => [e.spec?.type, e.spec?.reason, e.spec?.message]);
    expect(recorded).toHaveLength(3);
    expect(recorded[0]).toEqual([
      "Warning",
      "ListResponseNearLimit",
      expect.stringContaining("ListVolumes answered 3500000 bytes"),
    ]);
    expect(recorded[1]?.[2]).toContain("ListVolumeSnapshots answered 3200000 bytes");
    expect(recorded[2]?.[2]).toContain("ListVolumes answered 3700000 bytes");
    await events.close();
  });
});
