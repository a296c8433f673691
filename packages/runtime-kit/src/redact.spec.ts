import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createRuntimeClient, machine } from "@iri/api";
import { describe, expect, it } from "vitest";
import { collectSecretValues, isSecretKey, REDACTED, redactSecrets, scrubSecretValues } from "./redact.js";
import { captureLogger, tempDir } from "./testdata/harness.js";
import { serveRuntime } from "./transport/index.js";

describe("isSecretKey", () => {
  it.each([
    "secret_data",
    "secretData",
    "SECRET_DATA",
    "encryption_data",
    "encryptionData",
    "ignition_data",
    "ignitionData",
    "userKey",
    "user-key",
    "key",
    "password",
    "adminPassword",
    "passphrase",
    "token",
    "sessionToken",
    "AWS_SECRET_ACCESS_KEY",
    "secretAccessKey",
    "secret_key",
    "encryptionKey",
    "authorization",
  ])("%s is secret", (key) => expect(isSecretKey(key)).toBe(true));

  it.each(["id", "labels", "AWS_ACCESS_KEY_ID", "accessKey", "name", "keyCount", "tokens_used", "monitors"])(
    "%s is not secret",
    (key) => expect(isSecretKey(key)).toBe(false),
  );
});

describe("redactSecrets", () => {
  it("replaces secret values at any depth and leaves the input untouched", () => {
    const input = {
      id: "m1",
      spec: {
        ignition_data: "ign",
        volumes: [{ connection: { secretData: { userKey: "k" }, attributes: { monitors: "a:1" } } }],
      },
      nested: new Map([["Password", "p"]]),
    };
    expect(redactSecrets(input)).toEqual({
      id: "m1",
      spec: {
        ignition_data: REDACTED,
        volumes: [{ connection: { secretData: REDACTED, attributes: { monitors: "a:1" } } }],
      },
      nested: { Password: REDACTED },
    });
    expect(input.spec.ignition_data).toBe("ign");
  });

  it("never copies raw bytes", () => {
    expect(redactSecrets({ blob: new Uint8Array([1, 2, 3]) })).toEqual({ blob: "[3 bytes]" });
  });

  it("turns errors into plain objects, redacting their properties and causes", () => {
    const cause = Object.assign(new Error("inner"), { token: "t0ken" });
    const err = Object.assign(new Error("outer", { cause }), { passphrase: "pp", code: 7 });
    const out = redactSecrets({ err }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({ type: "Error", message: "outer", passphrase: REDACTED, code: 7 });
    expect(out.err.stack).toContain("outer");
    expect(out.err.cause).toMatchObject({ message: "inner", token: REDACTED });
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: "a", self: "[circular]" });
  });
});

describe("collectSecretValues and scrubSecretValues", () => {
  it("finds secret values in every textual form and scrubs them from free text", () => {
    const secret = new TextEncoder().encode("hunter2-super-secret");
    const values = collectSecretValues({ spec: { secretData: { userKey: secret } }, name: "visible" });
    const b64 = Buffer.from(secret).toString("base64");
    const hex = Buffer.from(secret).toString("hex");
    const text = `failed with hunter2-super-secret (${b64}) [${hex}] for visible`;
    expect(scrubSecretValues(text, values)).toBe(
      `failed with ${REDACTED} (${REDACTED}) [${REDACTED}] for visible`,
    );
  });
});

describe("createLogger redaction", () => {
  it("redacts logged objects and child bindings", () => {
    const log = captureLogger();
    log.logger.child({ password: "child-secret" }).info({ request: { secret_data: "deep-secret" } }, "hello");
    expect(log.text()).toContain("hello");
    expect(log.text()).not.toContain("child-secret");
    expect(log.text()).not.toContain("deep-secret");
  });
});

describe("secrets through a served socket", () => {
  const planted = "planted-secret-7f3a9c";
  const plantedBytes = new TextEncoder().encode(planted);
  const forms = [
    planted,
    Buffer.from(plantedBytes).toString("base64"),
    Buffer.from(plantedBytes).toString("base64url"),
    Buffer.from(plantedBytes).toString("hex"),
  ];

  it("never writes a request's secrets to the log, also when the handler logs it or throws with it", async () => {
    const dir = tempDir();
    const log = captureLogger("trace");
    const server = await serveRuntime({
      socketPath: join(dir.path, "m.sock"),
      logger: log.logger,
      register: (router) =>
        router.service(machine.MachineRuntime, {
          createMachine: (req) => {
            // A careless handler: logs the whole request, then fails with the secret in message and properties.
            log.logger.info({ req }, "creating machine");
            const spec = req.machine?.spec;
            const ignition = new TextDecoder().decode(spec?.ignitionData);
            throw Object.assign(
              new TypeError(`bad ignition ${ignition} / ${Buffer.from(ignition).toString("base64")}`),
              {
                request: req,
                detail: ignition,
                connection: spec?.volumes[0]?.connection,
              },
            );
          },
          attachVolume: (req) => {
            log.logger.debug({ req }, "attaching");
            throw Object.assign(new Error("attach failed"), { volume: req.volume });
          },
        }),
    });
    try {
      const client = createRuntimeClient(machine.MachineRuntime, `unix://${server.socketPath}`);
      const connection = {
        driver: "ceph",
        handle: "pool/img",
        secretData: { userKey: plantedBytes },
        encryptionData: { encryptionKey: plantedBytes },
      };
      const err = await client
        .createMachine({
          machine: {
            metadata: { id: "m1" },
            spec: { class: "small", ignitionData: plantedBytes, volumes: [{ name: "root", connection }] },
          },
        })
        .catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.Internal);
      await client
        .attachVolume({ machineId: "m1", volume: { name: "data", connection } })
        .catch(() => undefined);

      const output = log.text();
      expect(output).toContain("creating machine");
      expect(output).toContain("unexpected error in handler");
      for (const form of forms) expect(output).not.toContain(form);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
