// The Kubernetes API of the loopback control plane (scripts/ironcore.sh up), over HTTPS with the state
// directory's admin certificate. Plain REST is all the suite needs: apply, get, list, merge-patch, delete.
import { Agent, request } from "node:https";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
  [field: string]: unknown;
}

export class KubeError extends Error {
  override readonly name = "KubeError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface KubeCredentials {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** IronCore's groups are all v1alpha1; "secrets" (no group) is core v1. */
const IRONCORE_VERSION = "v1alpha1";

/** "volumes.storage.ironcore.dev" → "/apis/storage.ironcore.dev/v1alpha1"; "secrets" → "/api/v1". */
function groupPath(resource: string): { base: string; plural: string } {
  const dot = resource.indexOf(".");
  if (dot < 0) return { base: "/api/v1", plural: resource };
  return { base: `/apis/${resource.slice(dot + 1)}/${IRONCORE_VERSION}`, plural: resource.slice(0, dot) };
}

function collectionPath(resource: string, namespace?: string): string {
  const { base, plural } = groupPath(resource);
  return namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${namespace}/${plural}`;
}

/** The path of an object from its own apiVersion and kind (kinds here all pluralise with -s or -es). */
function objectPath(o: KubeObject): string {
  const kind = o.kind.toLowerCase();
  const plural = kind.endsWith("s") ? `${kind}es` : `${kind}s`;
  const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const scope = o.metadata.namespace === undefined ? "" : `/namespaces/${o.metadata.namespace}`;
  return `${base}${scope}/${plural}/${o.metadata.name}`;
}

export class Kube {
  readonly #agent: Agent;

  constructor(
    readonly server: URL,
    credentials: KubeCredentials,
  ) {
    this.#agent = new Agent({ ...credentials, keepAlive: true });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** One API call; resolves with the decoded body, or undefined for 404 when `missingOk`. */
  call(
    method: string,
    path: string,
    body?: { type: string; data: string },
    missingOk = false,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.#agent,
          headers: body
            ? { "content-type": body.type, accept: "application/json" }
            : { accept: "application/json" },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status === 404 && missingOk) resolve(undefined);
            else if (status >= 200 && status < 300) resolve(text === "" ? undefined : JSON.parse(text));
            else reject(new KubeError(`${method} ${path}: HTTP ${status}: ${text.slice(0, 500)}`, status));
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      req.end(body?.data);
    });
  }

  /** Server-side apply, one object after the other. */
  async apply(...objects: KubeObject[]): Promise<void> {
    for (const o of objects) {
      await this.call("PATCH", `${objectPath(o)}?fieldManager=iri-providers-e2e&force=true`, {
        type: "application/apply-patch+yaml",
        data: JSON.stringify(o),
      });
    }
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(
    resource: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    return (await this.call("GET", `${collectionPath(resource, namespace)}/${name}`, undefined, true)) as
      | T
      | undefined;
  }

  /** The objects of a namespace, or cluster-wide (cluster-scoped kinds) when none is given. */
  async list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): Promise<T[]> {
    return ((await this.call("GET", collectionPath(resource, namespace))) as { items: T[] }).items;
  }

  async patch(resource: string, namespace: string, name: string, patch: object): Promise<void> {
    await this.call("PATCH", `${collectionPath(resource, namespace)}/${name}`, {
      type: "application/merge-patch+json",
      data: JSON.stringify(patch),
    });
  }

  /** Asks for deletion without waiting for finalizers (the caller polls for the object to go). */
  async delete(resource: string, namespace: string, name: string): Promise<void> {
    await this.call("DELETE", `${collectionPath(resource, namespace)}/${name}`, undefined, true);
  }
}
