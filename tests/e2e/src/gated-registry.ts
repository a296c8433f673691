// A loopback HTTP front for the real registry that holds the download of one blob until the test opens the
// gate: a volume populated from that image stays PENDING for exactly as long as the test needs, with no
// guessing at how long a big image takes to copy.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GatedRegistry {
  /** `127.0.0.1:<port>`: a loopback registry, which the provider reaches over plain HTTP. */
  readonly addr: string;
  /** Resolves when the provider first asks for the held blob (its population has started). */
  readonly requested: Promise<void>;
  /** Lets held and later downloads of the blob through. */
  open(): void;
  close(): Promise<void>;
}

export async function startGatedRegistry(upstream: string, heldDigest: string): Promise<GatedRegistry> {
  let opened: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    opened = resolve;
  });
  let requestedNow: () => void = () => {};
  const requested = new Promise<void>((resolve) => {
    requestedNow = resolve;
  });

  const forward = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = request.url ?? "/";
    if (path.includes("/blobs/") && path.endsWith(heldDigest)) {
      requestedNow();
      await gate;
    }
    const answer = await fetch(`http://${upstream}${path}`, {
      method: request.method ?? "GET",
      headers: { accept: request.headers.accept ?? "*/*" },
    });
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "content-length", "docker-content-digest"]) {
      const value = answer.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    response.writeHead(answer.status, headers);
    response.end(Buffer.from(await answer.arrayBuffer()));
  };

  const server = createServer((request, response) => {
    forward(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    addr: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    open: () => opened(),
    close: async () => {
      opened();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
