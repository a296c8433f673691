import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commonSettings } from "../settings/common-settings.js";
import { parseSettings } from "../settings/settings.js";
import { tempDir } from "../testdata/harness.js";
import { type ProviderHost, startProviderHost } from "./provider-host.js";

interface HeldBackend {
  readonly name: string;
  ping(): Promise<string>;
  close(): Promise<void>;
}

function standInFor(opening: Promise<HeldBackend>): HeldBackend {
  return {
    name: "held",
    ping: async () => (await opening).ping(),
    close: async () => (await opening).close(),
  };
}

/** A backend factory whose opening the test finishes (or fails) when it wants: a slow cluster, on demand. */
function heldFactory() {
  let finish: (outcome: Error | HeldBackend) => void = () => {};
  const opened = new Promise<HeldBackend>((resolve, reject) => {
    finish = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
  });
  return {
    factory: { name: "held", settings: {}, open: () => opened },
    finish,
  };
}

function settingsIn(dir: string) {
  return parseSettings(
    commonSettings("volume"),
    ["--socket-path", join(dir, "p.sock"), "--state-dir", join(dir, "state"), "--ops-address", ""],
    { IRI_VOLUME_PROVIDER_BACKEND: "held", IRI_VOLUME_PROVIDER_LOG_LEVEL: "silent" },
  );
}

function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

describe("provider host with a backend stand-in", () => {
  const dirs: { remove(): void }[] = [];
  const hosts: ProviderHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
    for (const d of dirs.splice(0)) d.remove();
  });

  it("serves before the backend is open; calls made meanwhile wait for it", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const held = heldFactory();
    let pinged: Promise<string> | undefined;
    let answered = false;
    const host = await startProviderHost<HeldBackend>({
      name: "test-provider",
      settings: settingsIn(dir.path),
      backends: [held.factory],
      standIn: standInFor,
      setup: async ({ backend }) => {
        pinged = backend.ping();
        void pinged.then(() => {
          answered = true;
        });
        return { register: () => undefined };
      },
    });
    hosts.push(host);
    expect(await accepts(host.socketPath)).toBe(true);
    expect(answered).toBe(false);
    held.finish({ name: "held", ping: async () => "pong", close: async () => undefined });
    expect(await pinged).toBe("pong");
  });

  it("stops itself and reports why when the backend cannot be opened after serving began", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const held = heldFactory();
    const host = await startProviderHost<HeldBackend>({
      name: "test-provider",
      settings: settingsIn(dir.path),
      backends: [held.factory],
      standIn: standInFor,
      setup: async () => ({ register: () => undefined }),
    });
    expect(await accepts(host.socketPath)).toBe(true);
    held.finish(new Error("cluster refused the credentials"));
    const reason = await host.failed;
    expect(reason.message).toBe("cluster refused the credentials");
    expect(await accepts(host.socketPath)).toBe(false);
  });
});
