// A provider's List over raw HTTP/2 against the floor of serving the very same response bytes from a server
// that does nothing else: what a Go poollet sees, the client's decoding left out.
import { join } from "node:path";
import { type FloorServer, startFloorServer } from "./floor-server.js";
import { EMPTY_MESSAGE, RawGrpcClient } from "./raw-grpc.js";
import { type Summary, summarize, timed } from "./samples.js";

export interface RawListTiming {
  /** The response body as it crossed the socket (gRPC length prefix included). */
  readonly responseBytes: number;
  readonly provider: Summary;
  readonly floor: Summary;
}

const WARMUP_CALLS = 3;

/** Times `path` (an empty request) on the provider's socket and on a floor server on `<dir>/<name>`. */
export async function timeRawList(
  providerSocket: string,
  path: string,
  iterations: number,
  dir: string,
  floorName = "list-floor.sock",
): Promise<RawListTiming> {
  let floor: FloorServer | undefined;
  const raws: RawGrpcClient[] = [];
  try {
    const providerRaw = new RawGrpcClient(providerSocket);
    raws.push(providerRaw);
    const captured = await providerRaw.call(path, EMPTY_MESSAGE);
    const floorSocket = join(dir, floorName);
    floor = await startFloorServer({ socketPath: floorSocket, path, response: captured });
    const floorRaw = new RawGrpcClient(floorSocket);
    raws.push(floorRaw);
    for (let i = 0; i < WARMUP_CALLS; i++) {
      await providerRaw.call(path, EMPTY_MESSAGE);
      await floorRaw.call(path, EMPTY_MESSAGE);
    }
    const samples = { provider: [] as number[], floor: [] as number[] };
    for (let i = 0; i < iterations; i++) {
      // Alternating which side goes first spreads drift over both.
      const order = i % 2 === 0 ? (["provider", "floor"] as const) : (["floor", "provider"] as const);
      for (const side of order) {
        const client = side === "provider" ? providerRaw : floorRaw;
        samples[side].push((await timed(() => client.call(path, EMPTY_MESSAGE))).ms);
      }
    }
    return {
      responseBytes: captured.body.length,
      provider: summarize(samples.provider),
      floor: summarize(samples.floor),
    };
  } finally {
    for (const raw of raws) raw.close();
    await floor?.close();
  }
}
