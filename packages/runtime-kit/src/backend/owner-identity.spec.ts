import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@iri/store";
import { afterEach, describe, expect, it } from "vitest";
import { ownerIdentity } from "./owner-identity.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(path: string) {
  const db = openDatabase({ path });
  return { db, identity: await ownerIdentity(db, "test-provider") };
}

describe("ownerIdentity", () => {
  it("keeps the instance id, begins a new lineage per start and remembers where each earlier one ended", async () => {
    const dir = mkdtempSync(join(tmpdir(), "owner-identity-"));
    dirs.push(dir);
    const path = join(dir, "store.db");
    const first = await start(path);
    expect(first.identity.created).toBe(true);
    expect(await first.identity.nextTag()).toEqual({
      lineage: first.identity.lineage().current,
      generation: 1,
    });
    expect((await first.identity.nextTag()).generation).toBe(2);
    await first.db.close();

    const second = await start(path);
    expect(second.identity.created).toBe(false);
    expect(second.identity.instanceId).toBe(first.identity.instanceId);
    const lineage = second.identity.lineage();
    expect(lineage.current).not.toBe(first.identity.lineage().current);
    expect(lineage.ancestors).toEqual({ [first.identity.lineage().current]: 2 });
    expect(lineage.highWater).toBe(2);
    expect(await second.identity.nextTag()).toEqual({ lineage: lineage.current, generation: 3 });
    await second.db.close();
  });

  it("hands concurrent callers distinct generations, all committed, in one write per raise", async () => {
    const dir = mkdtempSync(join(tmpdir(), "owner-identity-"));
    dirs.push(dir);
    const path = join(dir, "store.db");
    const { db, identity } = await start(path);
    const commitsBefore = db.stats().commits;
    const first = await Promise.all(Array.from({ length: 40 }, () => identity.nextTag()));
    // Callers arriving while a raise is being committed join the next one.
    const late: Promise<{ generation: number }>[] = [];
    const second = Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const tag = identity.nextTag();
        if (i === 0) late.push(...Array.from({ length: 5 }, () => identity.nextTag()));
        return tag;
      }),
    );
    const generations = [...first, ...(await second), ...(await Promise.all(late))].map((t) => t.generation);
    expect(generations.sort((a, b) => a - b)).toEqual(Array.from({ length: 55 }, (_, i) => i + 1));
    expect(db.stats().commits - commitsBefore).toBeLessThanOrEqual(3);
    expect(identity.lineage().highWater).toBe(55);
    await db.close();
    // What was handed out is what the store holds after a restart.
    const reopened = await start(path);
    expect(reopened.identity.lineage().highWater).toBe(55);
    await reopened.db.close();
  });

  it("gives a restored copy of the store a lineage of its own, so it never vouches for what the other created", async () => {
    const dir = mkdtempSync(join(tmpdir(), "owner-identity-"));
    dirs.push(dir);
    const path = join(dir, "store.db");
    const first = await start(path);
    await first.identity.nextTag();
    await first.db.close();
    copyFileSync(path, join(dir, "backup.db"));

    const later = await start(path);
    const createdLater = await later.identity.nextTag();
    await later.db.close();

    const restored = await start(join(dir, "backup.db"));
    const lineage = restored.identity.lineage();
    expect(lineage.ancestors[createdLater.lineage]).toBeUndefined();
    expect(lineage.highWater).toBe(1);
    expect(lineage.current).not.toBe(createdLater.lineage);
    await restored.db.close();
  });
});
