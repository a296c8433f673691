// Concurrent CreateMachine callers, each awaiting its own call before the next: the way a poollet with many
// workers loads a provider (one HTTP/2 connection, calls multiplexed on it).
//
// The load is cheap on purpose (create-requests.ts: a template copied and patched per call, raw HTTP/2, only
// the grpc-status and the new machine's id read from the answer): the bench shares the host's cores with the
// provider, and a client that builds and encodes every request with connect (~1 ms of CPU each) would bound
// the rate it measures. The same-run floor (create-floor.ts) is loaded by this same client.
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { CreateRequests } from "./create-requests.js";
import { poolletValues } from "./poollet-machine.js";
import { readMainThreadCpuMs } from "./proc-stats.js";
import { RawGrpcClient } from "./raw-grpc.js";

const CREATE_PATH = "/machine.v1alpha1.MachineRuntime/CreateMachine";
const utf8 = new TextDecoder();

export interface CreateLoadResult {
  /** Ids of the machines whose create was acknowledged (answered OK). */
  acknowledged: string[];
  failures: number;
  firstFailure?: string;
  /** From the first call to the last answer, including calls in flight when the run ended. */
  elapsedMs: number;
  /** CPU time of the bench's main thread (the client) per acknowledged create, in milliseconds. */
  clientCpuMsPerCreate: number;
}

export interface CreateLoadOptions {
  callers: number;
  /** Stop issuing calls after this many were started (the list setup) ... */
  total?: number;
  /** ... or after this long (the durable-creates run). */
  durationMs?: number;
  /** Stop at the first failure instead of counting and going on. */
  failFast?: boolean;
}

/** Runs the load against the gRPC server on `socketPath` over one HTTP/2 connection. */
export async function runCreateLoad(
  socketPath: string,
  options: CreateLoadOptions,
): Promise<CreateLoadResult> {
  const client = new RawGrpcClient(socketPath);
  const requests = new CreateRequests();
  const acknowledged: string[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let started = 0;
  const cpuBefore = readMainThreadCpuMs();
  const start = performance.now();
  const stopAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : start + options.durationMs;
  const total = options.total ?? Number.POSITIVE_INFINITY;
  const caller = async () => {
    while (started < total && performance.now() < stopAt && !(options.failFast && failures > 0)) {
      const request = requests.enveloped(poolletValues(started++));
      try {
        const id = createdId(await client.unary(CREATE_PATH, request));
        if (!id) throw new Error("CreateMachine answered without machine.metadata.id");
        acknowledged.push(id);
      } catch (err) {
        failures++;
        firstFailure ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.callers }, caller));
  } finally {
    client.close();
  }
  const elapsedMs = performance.now() - start;
  const result: CreateLoadResult = {
    acknowledged,
    failures,
    elapsedMs,
    clientCpuMsPerCreate: (readMainThreadCpuMs() - cpuBefore) / Math.max(1, acknowledged.length),
  };
  if (firstFailure !== undefined) result.firstFailure = firstFailure;
  return result;
}

/**
 * `machine.metadata.id` of an enveloped CreateMachineResponse, read without decoding the rest: field 1 of each
 * of CreateMachineResponse, Machine and ObjectMetadata.
 */
export function createdId(enveloped: Buffer): string | undefined {
  let bytes: Uint8Array = enveloped.subarray(5);
  for (let depth = 0; depth < 3; depth++) {
    const field = firstField(bytes);
    if (field === undefined) return undefined;
    bytes = field;
  }
  return utf8.decode(bytes);
}

/** The bytes of field 1 (length-delimited) of a message, or undefined when it is absent. */
function firstField(message: Uint8Array): Uint8Array | undefined {
  const reader = new BinaryReader(message);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === 1 && wireType === WireType.LengthDelimited) return reader.bytes();
    reader.skip(wireType);
  }
  return undefined;
}
