import type { OwnedResource } from "@iri/backend-api";
import { expect } from "vitest";
import type { BackendUnderTest } from "./backend-under-test.js";
import { TEST_CREATION_TAG, type TestBackendContext } from "./test-backend-context.js";

/** Checks the resource listOwned reported for `id`: tagged with this instance (and the creation tag). */
export function expectOwned(
  owned: readonly OwnedResource[],
  id: string,
  context: TestBackendContext,
  subject: BackendUnderTest<unknown>,
): void {
  const mine = owned.filter((r) => r.id === id);
  expect(mine).toHaveLength(1);
  expect(mine[0]?.owner).toBe(context.owner.instanceId);
  expect(mine[0]?.unproven).toBeUndefined();
  if (subject.keepsCreationTags) expect(mine[0]?.created).toEqual(TEST_CREATION_TAG);
}

/** Checks that nothing listed is `id`. */
export function expectNotOwned(owned: readonly OwnedResource[], id: string): void {
  expect(owned.map((r) => r.id)).not.toContain(id);
}
