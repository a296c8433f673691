import { listedMachine, type MachineRecord } from "../machine-store.js";

/** Tag of CreateMachineResponse's only field, `machine = 1`, length-delimited. */
const MACHINE_FIELD_TAG = (1 << 3) | 2;
/** The gRPC length prefix: a flag byte (no compression) and the message length, 4 bytes big-endian. */
const ENVELOPE_BYTES = 5;

/**
 * The enveloped CreateMachineResponse for a created machine, written from its stored bytes as a List element is
 * (`listedMachine`): the spec and status are not built into a Machine and encoded again for the answer.
 */
export function preparedCreateResponse(record: MachineRecord): Uint8Array {
  const element = listedMachine.prepare(record);
  const header = [MACHINE_FIELD_TAG, ...varint(element.length)];
  const messageLength = header.length + element.length;
  const out = new Uint8Array(ENVELOPE_BYTES + messageLength);
  new DataView(out.buffer).setUint32(1, messageLength);
  out.set(header, ENVELOPE_BYTES);
  element.writeTo(out, ENVELOPE_BYTES + header.length);
  return out;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return bytes;
}
