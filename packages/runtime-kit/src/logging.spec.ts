import { describe, expect, it } from "vitest";
import { captureLogger } from "./testdata/harness.js";

describe("createLogger", () => {
  it("writes one JSON object per line with a level name and ISO time", () => {
    const log = captureLogger("info");
    log.logger.info({ id: "m1" }, "created");
    log.logger.debug("not at this level");
    const lines = log.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", id: "m1", msg: "created" });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("logs errors with type, message and stack", () => {
    const log = captureLogger();
    log.logger.error({ err: new TypeError("bad") }, "failed");
    log.logger.error(new Error("direct"));
    const [first, second] = log.lines();
    expect(first?.err).toMatchObject({ type: "TypeError", message: "bad" });
    expect(JSON.stringify(first?.err)).toContain("TypeError: bad\\n    at ");
    expect(second).toMatchObject({ msg: "direct", err: { message: "direct" } });
  });

  it("redacts grandchildren's bindings too", () => {
    const log = captureLogger();
    log.logger.child({ a: 1 }).child({ token: "grandchild-token" }).info("x");
    expect(log.text()).not.toContain("grandchild-token");
    expect(log.lines()[0]).toMatchObject({ a: 1, token: "[redacted]" });
  });
});
