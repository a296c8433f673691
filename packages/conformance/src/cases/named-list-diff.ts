// Compares machine volumes or NICs the way the machinepoollet does: matched by name, each compared with
// proto.Equal semantics (so field order inside the list does not matter, but ips order inside a NIC does).
import { type DescMessage, equals, type MessageShape } from "@bufbuild/protobuf";
import { describeDifference } from "../message-diff.js";

export function attachmentDifference<Desc extends DescMessage>(
  schema: Desc,
  expected: readonly (MessageShape<Desc> & { name: string })[],
  actual: readonly (MessageShape<Desc> & { name: string })[],
): string | undefined {
  const names = actual.map((a) => a.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) return `name ${JSON.stringify(duplicate)} appears twice`;
  for (const want of expected) {
    const got = actual.find((a) => a.name === want.name);
    if (!got) return `${JSON.stringify(want.name)} is missing`;
    if (!equals(schema, want, got))
      return `${JSON.stringify(want.name)}: ${describeDifference(schema, want, got)}`;
  }
  const extra = actual.find((a) => !expected.some((e) => e.name === a.name));
  return extra ? `unexpected entry ${JSON.stringify(extra.name)}` : undefined;
}
