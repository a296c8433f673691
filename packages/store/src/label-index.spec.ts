import { describe, expect, it } from "vitest";
import { LabelIndex } from "./label-index.js";

describe("LabelIndex", () => {
  it("narrows a selector to the smallest set of ids carrying one of its pairs", () => {
    const index = new LabelIndex();
    index.add("a", { app: "web", zone: "1" });
    index.add("b", { app: "web", zone: "2" });
    index.add("c", { app: "web", zone: "1" });
    index.add("d", { app: "db", zone: "1" });
    expect([...index.candidates({ app: "web", zone: "2" })]).toEqual(["b"]);
    expect([...index.candidates({ app: "web" })].sort()).toEqual(["a", "b", "c"]);
    expect([...index.candidates({ app: "web", zone: "3" })]).toEqual([]);
    expect([...index.candidates({ nope: "" })]).toEqual([]);
  });

  it("forgets removed labels", () => {
    const index = new LabelIndex();
    index.add("a", { app: "web", tier: "" });
    index.remove("a", { app: "web", tier: "" });
    index.add("a", { app: "db" });
    expect([...index.candidates({ app: "web" })]).toEqual([]);
    expect([...index.candidates({ tier: "" })]).toEqual([]);
    expect([...index.candidates({ app: "db" })]).toEqual(["a"]);
  });

  it("keeps a value through one id, several and back to one", () => {
    const index = new LabelIndex();
    index.add("a", { uid: "1", zone: "z" });
    index.add("a", { uid: "1", zone: "z" }); // the same id again changes nothing
    index.add("b", { uid: "2", zone: "z" });
    index.add("c", { uid: "3", zone: "z" });
    expect([...index.candidates({ zone: "z" })].sort()).toEqual(["a", "b", "c"]);
    index.remove("x", { uid: "1" }); // an id the value does not hold
    expect([...index.candidates({ uid: "1" })]).toEqual(["a"]);
    index.remove("b", { uid: "2", zone: "z" });
    index.remove("a", { uid: "1", zone: "z" });
    expect([...index.candidates({ zone: "z" })]).toEqual(["c"]);
    expect([...index.candidates({ uid: "1" })]).toEqual([]);
    index.add("d", { zone: "z" });
    expect([...index.candidates({ zone: "z", uid: "3" })]).toEqual(["c"]);
    expect([...index.candidates({ zone: "z" })].sort()).toEqual(["c", "d"]);
    index.remove("c", { uid: "3", zone: "z" });
    index.remove("d", { zone: "z" });
    expect([...index.candidates({ zone: "z" })]).toEqual([]);
  });
});
