// What the call handler (call-handler.ts) relies on in connect-es, checked against the installed release. An
// upgrade of @connectrpc/connect or @connectrpc/connect-node fails the version check first: re-run this file
// against the new release, fix what fails, then move CHECKED_AGAINST.
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextKey,
  createContextValues,
} from "@connectrpc/connect";
import {
  encodeEnvelope,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { bucket } from "@iri/api";
import { describe, expect, it } from "vitest";

const CHECKED_AGAINST = "2.2.0";

/** The version of an installed package (its package.json is not in its exports map, so found from its main). */
function installedVersion(name: string): string {
  const main = createRequire(import.meta.url).resolve(name);
  let dir = dirname(main);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version: string;
      };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json at this level (dist/cjs has one without a name)
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json for ${name}`);
    dir = up;
  }
}

const seen = createContextKey<string>("none");

function listBucketsHandler(impl: () => unknown): UniversalHandler {
  const router = createConnectRouter({ connect: false, grpcWeb: false });
  router.service(bucket.BucketRuntime, {
    listBuckets: (req, context) => {
      context.responseHeader.set("x-seen", `${context.values.get(seen)}:${req.filter?.id ?? ""}`);
      return impl() as bucket.ListBucketsResponse;
    },
  });
  const handler = router.handlers.find((h) => h.method.name === "ListBuckets");
  if (handler === undefined) throw new Error("router.handlers has no ListBuckets");
  return handler;
}

function grpcRequest(body: AsyncIterable<Uint8Array>): UniversalServerRequest {
  return {
    httpVersion: "2.0",
    url: "http://localhost/bucket.v1alpha1.BucketRuntime/ListBuckets",
    method: "POST",
    header: new Headers({ "content-type": "application/grpc" }),
    body,
    signal: new AbortController().signal,
  };
}

function listRequestBody(id: string, read: { done: boolean }): AsyncIterable<Uint8Array> {
  const message = toBinary(
    bucket.ListBucketsRequestSchema,
    create(bucket.ListBucketsRequestSchema, { filter: { id } }),
  );
  return (async function* () {
    yield encodeEnvelope(0, message);
    read.done = true;
  })();
}

async function drain(response: UniversalServerResponse): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body ?? []) chunks.push(chunk);
  return chunks;
}

describe(`connect-es ${CHECKED_AGAINST} as the call handler uses it`, () => {
  it("is the release this contract was checked against", () => {
    expect(installedVersion("@connectrpc/connect"), "re-check connect-contract.spec.ts").toBe(
      CHECKED_AGAINST,
    );
    expect(installedVersion("@connectrpc/connect-node"), "re-check connect-contract.spec.ts").toBe(
      CHECKED_AGAINST,
    );
    expect(typeof universalRequestFromNodeRequest).toBe("function");
    expect(typeof universalResponseToNodeResponse).toBe("function");
  });

  it("lists one handler per method, by its gRPC path, with the method's request schema", () => {
    const handler = listBucketsHandler(() => ({}));
    expect(handler.requestPath).toBe("/bucket.v1alpha1.BucketRuntime/ListBuckets");
    expect(handler.method.methodKind).toBe("unary");
    expect(handler.method.input).toBe(bucket.ListBucketsRequestSchema);
  });

  it("reads the request only through the universal request's body, and hands its context values on", async () => {
    const handler = listBucketsHandler(() => ({}));
    const read = { done: false };
    const request = grpcRequest(listRequestBody("b-1", read));
    const response = await handler({ ...request, contextValues: createContextValues().set(seen, "slot") });
    await drain(response);
    expect(read.done).toBe(true);
    expect(response.header?.get("x-seen")).toBe("slot:b-1");
  });

  it("answers a ConnectError thrown by the request body with its code (how the field budget refuses)", async () => {
    const handler = listBucketsHandler(() => ({}));
    const refusing = (async function* (): AsyncGenerator<Uint8Array> {
      yield* [];
      throw new ConnectError("too many fields", Code.InvalidArgument);
    })();
    const response = await handler(grpcRequest(refusing));
    expect(await drain(response)).toEqual([]);
    expect(response.trailer?.get("grpc-status")).toBe(String(Code.InvalidArgument));
    expect(response.trailer?.get("grpc-message")).toBe(encodeURIComponent("too many fields"));
  });

  it("has the call's final status in the trailer once the body is read: 0 for success", async () => {
    const ok = await listBucketsHandler(() => ({ buckets: [{ metadata: { id: "b-2" } }] }))(
      grpcRequest(listRequestBody("", { done: false })),
    );
    const [envelope, ...rest] = await drain(ok);
    expect(rest).toEqual([]);
    expect(ok.trailer?.get("grpc-status")).toBe("0");
    const message = fromBinary(bucket.ListBucketsResponseSchema, (envelope as Uint8Array).subarray(5));
    expect(message.buckets[0]?.metadata?.id).toBe("b-2");

    const failed = await listBucketsHandler(() => {
      throw new ConnectError("gone", Code.NotFound);
    })(grpcRequest(listRequestBody("", { done: false })));
    expect(await drain(failed)).toEqual([]);
    expect(failed.trailer?.get("grpc-status")).toBe(String(Code.NotFound));
  });

  it("writes a response body chunk by chunk, asking for the next only once the last has drained", async () => {
    // The stall guard (guardResponseBody) times how long the writer keeps a chunk before asking for the next.
    const events = new EventEmitter();
    const writes: Uint8Array[] = [];
    const res = Object.assign(events, {
      headersSent: false,
      writeHead: () => {
        res.headersSent = true;
      },
      write: (chunk: Uint8Array) => {
        writes.push(chunk);
        return false;
      },
      addTrailers: () => {},
      end: () => events.emit("end"),
    });
    const pulls: number[] = [];
    const body = (async function* () {
      for (const n of [1, 2]) {
        pulls.push(n);
        yield new Uint8Array([n]);
      }
    })();
    const written = universalResponseToNodeResponse(
      { status: 200, header: new Headers(), body, trailer: new Headers() },
      res as never,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulls).toEqual([1]);
    expect(writes).toHaveLength(1);
    res.emit("drain");
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulls).toEqual([1, 2]);
    res.emit("drain");
    await written;
    expect(writes).toHaveLength(2);
  });
});
