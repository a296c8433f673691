import type { OwnedResource } from "@iri/backend-api";
import { describe, expect, it } from "vitest";
import { judgeOrphans } from "./orphans.js";
import type { StoreLineage } from "./owner-identity.js";

const me = "inst-a";
/** This life is "now" (high-water 10); "before" was the life before it, which ended at generation 6. */
const lineage: StoreLineage = { current: "now", highWater: 10, ancestors: { before: 6 } };
const res = (id: string, owner = me, generation = 1, tagLineage = "now"): OwnedResource => ({
  id,
  owner,
  created: { lineage: tagLineage, generation },
});
const known = (ids: string[]) => (id: string) => ids.includes(id);

describe("judgeOrphans", () => {
  it("removes only unknown resources carrying this instance's tag and a creation tag this store gave out", () => {
    const owned = [res("a"), res("b"), res("c", me, 3, "before"), res("x", "inst-b"), res("y", "")];
    const v = judgeOrphans(owned, me, lineage, known(["a", "b"]), 2, "safe");
    expect(v.remove.map((r) => r.id)).toEqual(["c"]);
    expect(v.foreign.map((r) => r.id)).toEqual(["x", "y"]);
    expect(v.quarantined).toEqual([]);
  });

  it("quarantines, even when forced, what a restored or copied store cannot vouch for", () => {
    const owned = [
      res("after-restore", me, 11),
      res("after-fork", me, 7, "before"),
      res("other-copy", me, 2, "elsewhere"),
      { id: "untagged", owner: me },
      { ...res("fake-process", me, 2), unproven: "its pid file is not in a machine directory" },
      res("fine", me, 6, "before"),
      res("kept", me, 1),
    ];
    const v = judgeOrphans(owned, me, lineage, known(["kept"]), 1, "force");
    expect(v.remove.map((r) => r.id)).toEqual(["fine"]);
    expect(Object.fromEntries(v.quarantined.map((q) => [q.resource.id, q.because]))).toEqual({
      "after-restore": expect.stringMatching(/generation 11, after this store's high-water mark 10/),
      "after-fork": expect.stringMatching(/generation 7, after this store's high-water mark 6/),
      "other-copy": expect.stringMatching(/lineage elsewhere, which this store never had/),
      untagged: "it carries no creation tag",
      "fake-process": "its pid file is not in a machine directory",
    });
  });

  it("deletes nothing from a new or empty store, whatever the backend holds", () => {
    const owned = [res("a"), res("b"), res("c")];
    const v = judgeOrphans(owned, me, lineage, known([]), 0, "safe");
    expect(v.remove).toEqual([]);
    expect(v.held).toHaveLength(3);
    expect(v.heldBecause).toMatch(/no object/);
    // A new store also means a new instance id: then nothing is even a candidate.
    expect(judgeOrphans(owned, "inst-new", lineage, known([]), 0, "force").remove).toEqual([]);
  });

  it("holds back when more than half would go, unless forced; never keeps everything", () => {
    const owned = [res("a"), res("b"), res("c"), res("d")];
    const v = judgeOrphans(owned, me, lineage, known(["a"]), 1, "safe");
    expect(v.remove).toEqual([]);
    expect(v.heldBecause).toMatch(/3 of 4/);
    expect(judgeOrphans(owned, me, lineage, known(["a"]), 1, "force").remove).toHaveLength(3);
    expect(judgeOrphans(owned, me, lineage, known(["a", "b", "c"]), 3, "never").remove).toEqual([]);
  });
});
