import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pushImage } from "@iri/oci/testing";
import { randomSuffix } from "./test-cluster.js";

const ROOTFS = "application/vnd.ironcore.image.rootfs";

/** The loopback registry from scripts/registry.sh; tests fail (never skip) without it. */
export function registryAddr(): string {
  const addr = process.env.REGISTRY_ADDR;
  if (!addr) throw new Error("REGISTRY_ADDR must be set: run `source <(bash scripts/services.sh env)`");
  return addr;
}

/**
 * A rootfs of `bytes` with data in the first and last MiB and zeros between (as a mostly empty
 * filesystem image is), pushed as an IronCore image under a unique repository.
 */
export async function pushRootfsImage(bytes: number, seed: number) {
  const rootfs = Buffer.alloc(bytes);
  for (let i = 0; i < Math.min(bytes, 1 << 20); i++) rootfs[i] = ((i * 13 + seed) & 0xff) | 1;
  for (let i = Math.max(0, bytes - (1 << 20)); i < bytes; i++) rootfs[i] = ((i * 7 + seed) & 0xff) | 2;
  const pushed = await pushImage(registryAddr(), `iri-test/rootfs-${randomSuffix()}`, "v1", {
    layers: [{ mediaType: ROOTFS, data: rootfs }],
  });
  return { ...pushed, rootfs };
}

/**
 * An HTTP proxy in front of the registry that corrupts the first `failures` responses for one blob: the
 * one fault (a layer damaged in transit) the real registry cannot produce on demand.
 */
export async function corruptingProxy(
  blobDigest: string,
  failures: number,
): Promise<{ addr: string; close(): Promise<void> }> {
  const [host, port] = registryAddr().split(":") as [string, string];
  let left = failures;
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host, port: Number(port), path: req.url, method: req.method, headers: req.headers },
      (up) => {
        const corrupt = req.method === "GET" && req.url?.endsWith(`/blobs/${blobDigest}`) && left > 0;
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (!corrupt) {
          up.pipe(res);
          return;
        }
        left--;
        let first = true;
        up.on("data", (chunk: Buffer) => {
          if (first) {
            chunk[0] = (chunk[0] ?? 0) ^ 0xff;
            first = false;
          }
          res.write(chunk);
        });
        up.on("end", () => res.end());
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: proxyPort } = server.address() as AddressInfo;
  return {
    addr: `127.0.0.1:${proxyPort}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
