// The behaviour every bucket backend owes the bucket provider, run by each backend's own spec against the
// real store it drives. Each case makes its own bucket, so any one can run alone.
import { bucket } from "@iri/api";
import type { BucketBackend, BucketClassConfig, BucketIntent, BucketObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendUnderTest, newObjectId } from "./backend-under-test.js";
import { expectNotOwned, expectOwned } from "./contract-cases.js";
import { ReconcilerDouble } from "./reconciler-double.js";
import { TestBackendContext } from "./test-backend-context.js";

export interface BucketBackendUnderTest extends BackendUnderTest<BucketBackend> {
  /** A class of this backend's whose buckets may be deleted while empty. */
  readonly bucketClass: BucketClassConfig;
}

/** The secret_data keys every bucket access carries (what a consumer's S3 client needs). */
const CREDENTIAL_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

export function bucketIntent(id: string, cls: BucketClassConfig): BucketIntent {
  return { id, labels: {}, class: cls };
}

export function describeBucketBackendContract(subject: BucketBackendUnderTest): void {
  const timeoutMs = subject.timeoutMs ?? 60_000;
  const cls = subject.bucketClass;

  describe(`bucket backend contract: ${subject.name}`, () => {
    const context = new TestBackendContext({ provider: "bucket-provider" });
    let backend: BucketBackend;
    let driver: ReconcilerDouble<BucketIntent, BucketObservation>;
    const made = new Set<string>();

    const available = async () => {
      const id = newObjectId("c");
      made.add(id);
      return { id, observation: await driver.applyUntilDone(bucketIntent(id, cls), timeoutMs) };
    };

    beforeAll(async () => {
      backend = await subject.open(context);
      driver = new ReconcilerDouble(backend, context);
    }, timeoutMs);

    afterAll(async () => {
      for (const id of made) await driver.removeUntilDone(id, timeoutMs).catch(() => undefined);
      await backend?.close();
      await context.dispose();
    }, timeoutMs * 2);

    it("makes a bucket available with an endpoint and credentials; applying again keeps them", async () => {
      const { id, observation } = await available();
      expect(observation.state).toBe(bucket.BucketState.BUCKET_AVAILABLE);
      expect(observation.access?.endpoint).not.toBe("");
      for (const key of CREDENTIAL_KEYS)
        expect(observation.access?.secretData[key]?.length).toBeGreaterThan(0);
      const placement = driver.placementOf(id);
      const again = await driver.applyUntilDone(bucketIntent(id, cls), timeoutMs);
      expect(again.access).toEqual(observation.access);
      expect(driver.placementOf(id)).toEqual(placement);
    });

    it("lists the bucket with its owner tag, also after a restart", async () => {
      const { id } = await available();
      expectOwned(await backend.listOwned(), id, context, subject);
      await backend.close();
      await context.restart();
      backend = await subject.open(context);
      driver.restartWith(backend);
      expectOwned(await backend.listOwned(), id, context, subject);
    });

    it("removes an empty bucket for good; removing it again finds nothing to do", async () => {
      const { id } = await available();
      await driver.removeUntilDone(id, timeoutMs);
      made.delete(id);
      expectNotOwned(await backend.listOwned(), id);
      expect(await driver.remove(id)).toBeUndefined();
    });

    it("treats removing a bucket it never made as done, touching nothing", async () => {
      const before = await backend.listOwned();
      expect(await driver.remove(newObjectId("never"))).toBeUndefined();
      expect(await backend.listOwned()).toEqual(before);
    });

    it("never puts a credential into an event or a log line", async () => {
      const { observation } = await available();
      const said = JSON.stringify(context.events) + context.logLines.join("\n");
      for (const key of CREDENTIAL_KEYS) {
        expect(said).not.toContain(new TextDecoder().decode(observation.access?.secretData[key]));
      }
    });
  });
}
