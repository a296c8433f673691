import { Code, ConnectError } from "@connectrpc/connect";
import { BackendUnavailableError } from "@iri/backend-api";
import { describe, expect, it } from "vitest";
import { invalidArgument, ProviderError, toConnectError } from "./errors.js";
import { captureLogger } from "./testdata/harness.js";

describe("toConnectError", () => {
  it("passes ConnectErrors through unchanged", () => {
    const log = captureLogger();
    const original = new ConnectError("deadline", Code.DeadlineExceeded);
    expect(toConnectError(original, log.logger)).toBe(original);
    expect(log.text()).toBe("");
  });

  it("keeps a ProviderError's code and message, capping very long messages", () => {
    const log = captureLogger();
    const mapped = toConnectError(invalidArgument(`bad id ${"x".repeat(5000)}`), log.logger);
    expect(mapped.code).toBe(Code.InvalidArgument);
    expect(mapped.rawMessage.length).toBeLessThanOrEqual(1025);
    expect(mapped.rawMessage.startsWith("bad id xxx")).toBe(true);
    expect(toConnectError(new ProviderError(Code.Aborted, "retry"), log.logger).rawMessage).toBe("retry");
    expect(log.text()).toBe("");
  });

  it("answers Unavailable for a backend that cannot reach its infrastructure", () => {
    const log = captureLogger();
    const mapped = toConnectError(
      new BackendUnavailableError("ceph: monitor 127.0.0.1:3300 unreachable"),
      log.logger,
    );
    expect(mapped.code).toBe(Code.Unavailable);
    expect(mapped.rawMessage).toBe("ceph: monitor 127.0.0.1:3300 unreachable");
    expect(log.text()).toBe("");
  });

  it("hides anything else behind Internal, logging type, message, stack and causes scrubbed of request secrets", () => {
    const log = captureLogger();
    const cause = new Error("rbd said: key=c2VjcmV0LWtleS12YWx1ZQ==");
    const err = Object.assign(new RangeError("wrapped", { cause }), { unrelated: "not-logged-property" });
    const request = { volume: { connection: { secretData: { userKey: "secret-key-value" } } } };
    const mapped = toConnectError(err, log.logger, { rpc: "x.Y/Z", request });
    expect(mapped.code).toBe(Code.Internal);
    expect(mapped.rawMessage).toBe("internal error");

    const [line] = log.lines();
    expect(line).toMatchObject({ rpc: "x.Y/Z", err: { type: "RangeError", message: "wrapped" } });
    expect(JSON.stringify(line)).toContain("rbd said: key=[redacted]");
    expect(log.text()).not.toContain("c2VjcmV0LWtleS12YWx1ZQ");
    expect(log.text()).not.toContain("not-logged-property");
  });

  it("copes with thrown non-errors", () => {
    const log = captureLogger();
    expect(toConnectError("just a string", log.logger).code).toBe(Code.Internal);
    expect(log.lines()[0]).toMatchObject({ err: { type: "string", message: "just a string" } });
  });
});
