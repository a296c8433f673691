// Child process of crash.spec.ts: writes records as fast as it can and prints a line to stdout only once a
// write's promise resolved (stdout is a pipe, written synchronously on Linux), until it is killed.
//   created <id>   the create of <id> is acknowledged
//   deleted <id>   the markDeleted of <id> (no finalizers, so a removal) is acknowledged
import { jsonCodec, openDatabase } from "../../dist/index.js";

const [path] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: crash-writer.mjs <db-path>");

const db = openDatabase({ path });
const records = db.collection("records", { spec: jsonCodec(), status: jsonCodec() });
const payload = "x".repeat(1000);
const inFlight = 64;
let next = 0;

async function worker() {
  for (;;) {
    const n = next++;
    const id = `r${n}`;
    await records.create({ id, labels: { n: String(n) }, spec: { n, payload }, status: { size: BigInt(n) } });
    process.stdout.write(`created ${id}\n`);
    if (n % 3 === 0) {
      await records.markDeleted(id);
      process.stdout.write(`deleted ${id}\n`);
    }
  }
}

process.stdout.write("ready\n");
for (let i = 0; i < inFlight; i++) void worker();
