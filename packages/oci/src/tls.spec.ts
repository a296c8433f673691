// HTTPS to a registry whose certificate is signed by a private CA (an HTTPS proxy in front of the real one).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigurationError, RegistryUnavailableError } from "./errors.js";
import { OciClient } from "./oci-client.js";
import { registryAddr, uniqueRepo } from "./testdata/registry-env.js";
import { type RegistryProxy, startRegistryProxy } from "./testdata/registry-proxy.js";
import { makeTestCa } from "./testdata/test-ca.js";
import { deleteManifest, type PushedImage, pushImage } from "./testing/index.js";

const registry = registryAddr();
const repo = uniqueRepo("tls");
let image: PushedImage;
let https: RegistryProxy;
let caFile: string;
const clients: OciClient[] = [];

function client(options: ConstructorParameters<typeof OciClient>[0]): OciClient {
  const created = new OciClient(options);
  clients.push(created);
  return created;
}

beforeAll(async () => {
  const ca = await makeTestCa();
  caFile = ca.caFile;
  https = await startRegistryProxy({ upstream: registry, tls: { cert: ca.cert, key: ca.key } });
  image = await pushImage(registry, repo, "1.0", {
    layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: "disk" }],
  });
});

afterAll(async () => {
  for (const created of clients) await created.close();
  await https.close();
  await deleteManifest(registry, repo, image.manifestDigest);
});

describe("HTTPS with a CA file", () => {
  it("pulls over HTTPS trusting the CA file", async () => {
    const secure = client({ caFile, plainHttp: [] });
    const resolved = await secure.resolveImage(`${https.addr}/${repo}:1.0`);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
  });

  it("does not trust the certificate without the CA file", async () => {
    const untrusting = client({ plainHttp: () => false });
    const failing = untrusting.resolveImage(`${https.addr}/${repo}:1.0`);
    await expect(failing).rejects.toThrow(RegistryUnavailableError);
    await expect(failing).rejects.toThrow(/self-signed certificate|unable to verify/);
  });

  it("fails at construction when the CA file cannot be read", () => {
    expect(() => new OciClient({ caFile: "/nonexistent/ca.pem" })).toThrow(InvalidConfigurationError);
  });
});
