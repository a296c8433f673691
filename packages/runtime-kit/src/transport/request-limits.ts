import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { requireIdLength, validateAnnotations, validateLabels } from "../validate.js";

// The metadata limits for every request of every runtime, checked where requests enter (the call interceptor),
// so that no handler can forget them: each ObjectMetadata a caller sends (e.g. CreateMachine's
// machine.metadata), every label selector (List and ListEvents filters), the annotations of
// UpdateMachineAnnotations, and the ids a request names.

const OBJECT_METADATA = "meta.v1alpha1.ObjectMetadata";

type CheckKind = "metadata" | "labels" | "annotations" | "id";

interface Check {
  /** Local (camelCase) names from the request down to the checked value. */
  path: string[];
  /** The proto field path, for messages: "machine.metadata". */
  field: string;
  kind: CheckKind;
}

const checksBySchema = new WeakMap<DescMessage, Check[]>();

export function validateRequestLimits(schema: DescMessage, message: unknown): void {
  for (const check of checksOf(schema)) {
    let value: unknown = message;
    for (const name of check.path) value = (value as Record<string, unknown> | undefined)?.[name];
    if (value === undefined) continue;
    apply(check, value);
  }
}

function apply(check: Check, value: unknown): void {
  switch (check.kind) {
    case "metadata": {
      const metadata = value as {
        id: string;
        labels: Record<string, string>;
        annotations: Record<string, string>;
      };
      requireIdLength(metadata.id, `${check.field}.id`);
      validateLabels(metadata.labels, `${check.field}.labels`);
      validateAnnotations(metadata.annotations, `${check.field}.annotations`);
      return;
    }
    case "labels":
      validateLabels(value as Record<string, string>, check.field);
      return;
    case "annotations":
      validateAnnotations(value as Record<string, string>, check.field);
      return;
    case "id":
      requireIdLength(value as string, check.field);
      return;
  }
}

/** The checks for a request type: its own fields and those of its direct sub-messages (filter, machine, …). */
function checksOf(schema: DescMessage): Check[] {
  let checks = checksBySchema.get(schema);
  if (checks === undefined) {
    checks = [];
    for (const field of schema.fields) {
      const own = kindOf(field, true);
      if (own !== undefined) checks.push({ path: [field.localName], field: field.name, kind: own });
      else if (field.fieldKind === "message") {
        for (const inner of field.message.fields) {
          const kind = kindOf(inner, false);
          // A List filter naming an id no object can have finds nothing: an empty list, not an error.
          if (kind === undefined || (kind === "id" && field.name === "filter")) continue;
          checks.push({
            path: [field.localName, inner.localName],
            field: `${field.name}.${inner.name}`,
            kind,
          });
        }
      }
    }
    checksBySchema.set(schema, checks);
  }
  return checks;
}

function kindOf(field: DescField, topLevel: boolean): CheckKind | undefined {
  if (field.fieldKind === "message" && field.message.typeName === OBJECT_METADATA) return "metadata";
  if (field.fieldKind === "map" && field.name === "label_selector") return "labels";
  if (field.fieldKind === "map" && field.name === "annotations" && topLevel) return "annotations";
  if (field.fieldKind === "scalar" && (field.name === "id" || (topLevel && field.name.endsWith("_id")))) {
    return "id";
  }
  return undefined;
}
