import { describe, expect, it } from "vitest";
import { judgeOrphans } from "./orphans.js";

const me = "inst-a";
const res = (id: string, owner = me) => ({ id, owner });
const known = (ids: string[]) => (id: string) => ids.includes(id);

describe("judgeOrphans", () => {
  it("removes only unknown resources carrying this instance's tag", () => {
    const owned = [res("a"), res("b"), res("c"), res("x", "inst-b"), res("y", "")];
    const v = judgeOrphans(owned, me, known(["a", "b"]), 2, "safe");
    expect(v.remove.map((r) => r.id)).toEqual(["c"]);
    expect(v.foreign.map((r) => r.id)).toEqual(["x", "y"]);
  });

  it("deletes nothing from a new or empty store, whatever the backend holds", () => {
    const owned = [res("a"), res("b"), res("c")];
    const v = judgeOrphans(owned, me, known([]), 0, "safe");
    expect(v.remove).toEqual([]);
    expect(v.held).toHaveLength(3);
    expect(v.heldBecause).toMatch(/no object/);
    // A new store also means a new instance id: then nothing is even a candidate.
    expect(judgeOrphans(owned, "inst-new", known([]), 0, "force").remove).toEqual([]);
  });

  it("holds back when more than half would go, unless forced; never keeps everything", () => {
    const owned = [res("a"), res("b"), res("c"), res("d")];
    const v = judgeOrphans(owned, me, known(["a"]), 1, "safe");
    expect(v.remove).toEqual([]);
    expect(v.heldBecause).toMatch(/3 of 4/);
    expect(judgeOrphans(owned, me, known(["a"]), 1, "force").remove).toHaveLength(3);
    expect(judgeOrphans(owned, me, known(["a", "b", "c"]), 3, "never").remove).toEqual([]);
  });
});
