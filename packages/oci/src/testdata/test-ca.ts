import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A self-signed CA and a server certificate it signed for IP 127.0.0.1, made with openssl. */
export async function makeTestCa(): Promise<{ dir: string; caFile: string; cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), "oci-ca-"));
  const file = (name: string) => join(dir, name);
  const key = ["-newkey", "rsa:2048", "-nodes"];
  await run("openssl", [
    ...["req", "-x509", ...key, "-days", "1", "-subj", "/CN=oci test CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-keyout", file("ca.key"), "-out", file("ca.pem")],
  ]);
  await run("openssl", [
    ...["req", ...key, "-subj", "/CN=127.0.0.1"],
    ...["-keyout", file("server.key"), "-out", file("server.csr")],
  ]);
  await writeFile(file("server.ext"), "subjectAltName=IP:127.0.0.1\n");
  await run("openssl", [
    ...["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key")],
    ...["-CAcreateserial", "-days", "1", "-extfile", file("server.ext"), "-out", file("server.pem")],
  ]);
  return {
    dir,
    caFile: file("ca.pem"),
    cert: await readFile(file("server.pem"), "utf8"),
    key: await readFile(file("server.key"), "utf8"),
  };
}
