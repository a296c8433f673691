// CreateMachine requests for the create load, as the bytes that go on the wire, without building and encoding
// a message per call: the poollet-shaped request is encoded once per shape (namespace and the lengths of the
// varying values) with placeholders, and each request is that template with the placeholders overwritten.
// Same lengths, same protobuf framing: the result is byte for byte what encoding the request would give
// (create-requests.spec.ts), at a copy and a few string writes per call.
import { create, toBinary } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { type PoolletMachineValues, poolletMachineOf } from "./poollet-machine.js";

/** The gRPC length prefix: no compression flag, then the message length (big-endian). */
const ENVELOPE_BYTES = 5;

/** The values a template leaves open, each with the character its placeholder repeats. */
const PLACEHOLDERS = { name: "Q", machineUid: "M", nicUid: "N", ip: "I" } as const;
type Placeholder = keyof typeof PLACEHOLDERS;

interface Template {
  bytes: Buffer;
  /** Where each value's placeholder occurs in `bytes` (a name occurs in labels, annotations and NIC JSON). */
  offsets: Record<Placeholder, number[]>;
}

export class CreateRequests {
  readonly #templates = new Map<string, Template>();

  /** The enveloped request of the poollet machine with these values (poolletValues). */
  enveloped(values: PoolletMachineValues): Buffer {
    const template = this.#templateFor(values);
    const out = Buffer.allocUnsafe(template.bytes.length);
    template.bytes.copy(out);
    for (const key of Object.keys(PLACEHOLDERS) as Placeholder[]) {
      for (const offset of template.offsets[key]) out.write(values[key], offset, "latin1");
    }
    return out;
  }

  #templateFor(values: PoolletMachineValues): Template {
    const shape = `${values.namespace}/${values.name.length}/${values.ip.length}`;
    let template = this.#templates.get(shape);
    if (template === undefined) {
      template = encodeTemplate(values);
      this.#templates.set(shape, template);
    }
    return template;
  }
}

function encodeTemplate(values: PoolletMachineValues): Template {
  const held = { ...values };
  for (const [key, char] of Object.entries(PLACEHOLDERS) as [Placeholder, string][]) {
    held[key] = char.repeat(values[key].length);
  }
  const message = toBinary(
    machine.CreateMachineRequestSchema,
    create(machine.CreateMachineRequestSchema, poolletMachineOf(held)),
  );
  const bytes = Buffer.alloc(ENVELOPE_BYTES + message.length);
  bytes.writeUInt32BE(message.length, 1);
  bytes.set(message, ENVELOPE_BYTES);
  const offsets = {} as Record<Placeholder, number[]>;
  for (const key of Object.keys(PLACEHOLDERS) as Placeholder[]) {
    offsets[key] = occurrences(bytes, held[key]);
    if (offsets[key].length === 0) throw new Error(`create request template: no ${key} placeholder`);
  }
  return { bytes, offsets };
}

function occurrences(bytes: Buffer, text: string): number[] {
  const found: number[] = [];
  for (
    let at = bytes.indexOf(text, 0, "latin1");
    at >= 0;
    at = bytes.indexOf(text, at + text.length, "latin1")
  ) {
    found.push(at);
  }
  return found;
}
