// kubectl (built from the same Kubernetes module as the kube-apiserver, by scripts/ironcore.sh) against the
// loopback control plane, with the admin certificate of the state directory.
import { spawn } from "node:child_process";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

export class KubectlError extends Error {
  override readonly name = "KubectlError";
}

export class Kube {
  constructor(
    readonly kubectl: string,
    readonly kubeconfig: string,
  ) {}

  /** Runs kubectl with `args` (and `input` on stdin); resolves with stdout, rejects with its stderr. */
  run(args: readonly string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.kubectl, ["--kubeconfig", this.kubeconfig, ...args], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once("error", reject);
      child.once("close", (code) => {
        if (code === 0) resolve(stdout);
        else reject(new KubectlError(`kubectl ${args.join(" ")}: exit ${code}: ${stderr.trim()}`));
      });
      child.stdin.end(input ?? "");
    });
  }

  async apply(...objects: KubeObject[]): Promise<void> {
    await this.run(["apply", "--server-side", "-f", "-"], objects.map((o) => JSON.stringify(o)).join("\n"));
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(
    resource: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    const out = await this.run(["get", resource, "-n", namespace, name, "-o", "json", "--ignore-not-found"]);
    return out.trim() === "" ? undefined : (JSON.parse(out) as T);
  }

  async list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): Promise<T[]> {
    const scope = namespace === undefined ? ["--all-namespaces"] : ["-n", namespace];
    const out = await this.run(["get", resource, ...scope, "-o", "json"]);
    return (JSON.parse(out) as { items: T[] }).items;
  }

  async patch(resource: string, namespace: string, name: string, patch: object): Promise<void> {
    await this.run([
      "patch",
      resource,
      "-n",
      namespace,
      name,
      "--type",
      "merge",
      "-p",
      JSON.stringify(patch),
    ]);
  }

  /** Asks for deletion without waiting for finalizers (the caller polls for the object to go). */
  async delete(resource: string, namespace: string, name: string): Promise<void> {
    await this.run(["delete", resource, "-n", namespace, name, "--wait=false", "--ignore-not-found"]);
  }
}
