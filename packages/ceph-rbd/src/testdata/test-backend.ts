import type { VolumeObservation } from "@iri/backend-api";
import type { CephRbdBackend } from "../ceph-rbd-backend.js";
import { cephRbdBackend } from "../factory.js";
import { cephRbdSettings } from "../settings.js";
import { adminTool, clusterEnv, createPools, randomSuffix } from "./test-cluster.js";
import { createTestContext, type TestContext } from "./test-context.js";

export type Settings = Parameters<typeof cephRbdBackend.open>[0];

/** The settings' defaults, as the provider would parse them with no flag given. */
export function defaultSettings(): Settings {
  return Object.fromEntries(
    Object.entries(cephRbdSettings).map(([key, def]) => [
      key,
      def.kind === "integer" ? Number(def.default) : def.default,
    ]),
  ) as Settings;
}

export interface TestBackend {
  readonly backend: CephRbdBackend;
  readonly context: TestContext;
  /** Two provider pools and one outside pool. */
  readonly pools: readonly [string, string, string];
  readonly settings: Settings;
  readonly instanceId: string;
  readonly consumerId: string;
  /** Applies until the outcome has no notDone (polling as the reconciler would), or throws after 60 s. */
  applyUntilDone(
    intent: Parameters<CephRbdBackend["apply"]>[0],
    last?: VolumeObservation,
  ): Promise<{ observation: VolumeObservation; placement: Record<string, string> }>;
  dispose(): Promise<void>;
}

/** A backend on fresh pools of the shared loopback cluster, with its own consumer client. */
export async function openTestBackend(overrides: Partial<Settings> = {}): Promise<TestBackend> {
  const env = clusterEnv();
  const { pools, drop } = await createPools(3);
  const instanceId = `test${randomSuffix()}`;
  const consumerId = `iri-volume-test-${randomSuffix()}`;
  const context = await createTestContext(instanceId);
  const settings: Settings = {
    ...defaultSettings(),
    monitors: env.monitors,
    adminKeyFile: env.adminKeyring,
    consumerId,
    pool: pools[0] as string,
    extraPools: pools[1] as string,
    ...overrides,
  };
  const backend = await cephRbdBackend.open(settings, context);
  return {
    backend,
    context,
    pools: pools as [string, string, string],
    settings,
    instanceId,
    consumerId,
    async applyUntilDone(intent, last) {
      const deadline = Date.now() + 60_000;
      let placement: Record<string, string> | undefined;
      let observation = last;
      for (;;) {
        const notifiedBefore = context.notified.length;
        const outcome = await backend.apply(
          intent,
          context.operation<VolumeObservation>(intent.id, { observation, placement }),
        );
        placement = outcome.placement ? { ...outcome.placement } : placement;
        observation = outcome.observation;
        if (!outcome.notDone) return { observation, placement: placement as Record<string, string> };
        if (Date.now() > deadline)
          throw new Error(`volume ${intent.id} not done: ${outcome.notDone.message}`);
        // As the reconciler: again after notDone's delay, or at once when the backend asks for it (notify).
        const again = Date.now() + (outcome.notDone?.afterMs ?? 100);
        while (Date.now() < again && !context.notified.slice(notifiedBefore).includes(intent.id)) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
    async dispose() {
      await backend.close();
      await adminTool("ceph", ["auth", "del", `client.${consumerId}`]).catch(() => {});
      // The users of volumes a test left behind (the pools go with their images).
      const users: { auth_dump: { entity: string }[] } = JSON.parse(
        await adminTool("ceph", ["auth", "ls", "--format", "json"]),
      );
      for (const { entity } of users.auth_dump) {
        if (entity.startsWith(`client.iri-${instanceId.toLowerCase()}-vol-`))
          await adminTool("ceph", ["auth", "del", entity]).catch(() => {});
      }
      await drop();
      await context.dispose();
    },
  };
}
