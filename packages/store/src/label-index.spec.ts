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
});
