// Adoption and orphan handling after kill -9, on the file-backed noop backend: what the backend holds survives
// restarts like real resources do, so the provider's start-up decisions are exercised for real.
import { appendFileSync, cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRuntimeClient, volume } from "@iri/api";
import { afterAll, describe, expect, it } from "vitest";
import { OPS_ON_FREE_PORT } from "./ops-metrics.js";
import { orphansCounted } from "./orphan-checks.js";
import { eventually, type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

const scratch = scratchDir("orphans");
afterAll(() => scratch.remove());

const notes = (p: ProviderProcess) => join(p.stateDir, "backend", "noop", "volumes");
type Tag = { lineage: string; generation: number };
type Line = { id: string; owner?: string; created?: Tag; gone?: true };
/** The noop backend's journal, replayed: what it holds now, by id. */
function held(dir: string): Map<string, Line> {
  const byId = new Map<string, Line>();
  for (const raw of readFileSync(join(dir, "noted.jsonl"), "utf8").split("\n")) {
    if (raw === "") continue;
    const line = JSON.parse(raw) as Line;
    if (line.gone) byId.delete(line.id);
    else byId.set(line.id, line);
  }
  return byId;
}
const noteIds = (dir: string) => [...held(dir).keys()].sort();
/** The owner and creation tags the noop backend noted for `id`. */
const tagsOf = (dir: string, id: string) => {
  const line = held(dir).get(id);
  return { owner: line?.owner ?? "", created: line?.created };
};
/**
 * What the noop backend notes for a volume it holds, tagged like `tags` (a volume deleted from the store while
 * the backend still held it leaves one).
 */
const plant = (dir: string, id: string, tags: { owner: string; created?: Tag }) =>
  appendFileSync(
    join(dir, "noted.jsonl"),
    `${JSON.stringify({ id, ...tags, placement: { pool: "noop" }, sizeBytes: "1" })}\n`,
  );

async function createVolumes(p: ProviderProcess, n: number): Promise<string[]> {
  const client = createRuntimeClient(volume.VolumeRuntime, p.address);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.createVolume({
      volume: { spec: { class: "standard", resources: { storageBytes: 1n << 30n } } },
    });
    ids.push(r.volume?.metadata?.id ?? "");
  }
  await eventually("volumes available", async () => {
    const listed = await client.listVolumes({});
    return listed.volumes.every((v) => v.status?.state === volume.VolumeState.VOLUME_AVAILABLE)
      ? true
      : undefined;
  });
  return ids;
}

describe("orphans after kill -9", () => {
  it("removes a resource of its own that no record owns, keeping every adopted one", async () => {
    const dir = join(scratch.dir, "own");
    const first = await startProvider("volume", dir);
    const ids = await createVolumes(first, 3);
    await first.kill("SIGKILL");
    plant(notes(first), "crashed-before-record", tagsOf(notes(first), ids[0] as string));

    const second = await startProvider("volume", dir);
    try {
      await eventually("the orphan removed", async () =>
        held(notes(second)).has("crashed-before-record") ? undefined : true,
      );
      expect(noteIds(notes(second))).toEqual([...ids].sort());
    } finally {
      await second.kill("SIGTERM");
    }
  });

  it("deletes nothing from a new store against a backend full of resources (a lost state directory)", async () => {
    const dir = join(scratch.dir, "lost");
    const first = await startProvider("volume", dir);
    const ids = await createVolumes(first, 3);
    await first.kill("SIGKILL");
    // A new state directory (new store, new instance id) that finds the old backend state.
    const fresh = join(scratch.dir, "lost-new");
    cpSync(join(first.stateDir, "backend"), join(fresh, "volume-state", "backend"), { recursive: true });
    const second = await startProvider("volume", fresh, [...OPS_ON_FREE_PORT, "--orphan-removal", "force"]);
    try {
      await orphansCounted(second, "volume", "foreign", ids.length);
      expect(noteIds(notes(second))).toEqual([...ids].sort());
    } finally {
      await second.kill("SIGTERM");
    }
  });

  it("keeps its own orphans when the store holds no volume at all, unless forced", async () => {
    const dir = join(scratch.dir, "empty");
    const first = await startProvider("volume", dir);
    const [id] = await createVolumes(first, 1);
    const tags = tagsOf(notes(first), id as string);
    const client = createRuntimeClient(volume.VolumeRuntime, first.address);
    await client.deleteVolume({ volumeId: id as string });
    await eventually("the volume gone", async () =>
      (await client.listVolumes({})).volumes.length === 0 ? true : undefined,
    );
    await first.kill("SIGKILL");
    plant(notes(first), "left-behind", tags);

    const second = await startProvider("volume", dir, OPS_ON_FREE_PORT);
    await orphansCounted(second, "volume", "held", 1);
    expect(noteIds(notes(second))).toEqual(["left-behind"]);
    await second.kill("SIGKILL");

    const third = await startProvider("volume", dir, ["--orphan-removal", "force"]);
    try {
      await eventually("the orphan removed when forced", async () =>
        noteIds(notes(third)).length === 0 ? true : undefined,
      );
    } finally {
      await third.kill("SIGTERM");
    }
  });
});
