// The contract every volume backend runs (@iri/backend-testing), against the shared loopback Ceph on a pool
// of its own.
import { describeVolumeBackendContract } from "@iri/backend-testing";
import { afterAll } from "vitest";
import { cephRbdBackend } from "./factory.js";
import { defaultSettings } from "./testdata/test-backend.js";
import { adminTool, clusterEnv, createPools, randomSuffix } from "./testdata/test-cluster.js";

let pools: Awaited<ReturnType<typeof createPools>> | undefined;
const consumerId = `iri-volume-test-${randomSuffix()}`;

// After the suite removed its volumes and closed the backend.
afterAll(async () => {
  await adminTool("ceph", ["auth", "del", `client.${consumerId}`]).catch(() => undefined);
  await pools?.drop();
});

describeVolumeBackendContract({
  name: "ceph-rbd on the loopback cluster",
  keepsCreationTags: true,
  async open(context) {
    pools ??= await createPools(1);
    const env = clusterEnv();
    return cephRbdBackend.open(
      {
        ...defaultSettings(),
        monitors: env.monitors,
        adminKeyFile: env.adminKeyring,
        consumerId,
        pool: pools.pools[0] as string,
      },
      context,
    );
  },
  volumeClass: { name: "standard", tps: 100n << 20n, iops: 3000n, settings: {} },
});
