// CreateMachine requests shaped like the machinepoollet's (docs reference/poollet-contract.md §2.1), so that
// record size, label index and List bytes are those of a real pool rather than of bare `{class}` machines.
import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";

const POOLLET = "machinepoollet.ironcore.dev";
const NAMESPACES = ["default", "team-a", "team-b", "ci"];
const GIB = 1n << 30n;

/** What differs between the machines of a pool. */
export interface PoolletMachineValues {
  namespace: string;
  name: string;
  machineUid: string;
  nicUid: string;
  ip: string;
}

/** The values of the `index`th machine: its own name, IP and fresh uids. */
export function poolletValues(index: number): PoolletMachineValues {
  return {
    namespace: NAMESPACES[index % NAMESPACES.length] ?? "default",
    name: `web-${index.toString().padStart(5, "0")}`,
    machineUid: randomUUID(),
    nicUid: randomUUID(),
    ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
  };
}

/** A machine as the machinepoollet creates it: one NIC, one local disk from an image, t3-small, powered on. */
export function poolletMachine(index: number): MessageInitShape<typeof machine.CreateMachineRequestSchema> {
  return poolletMachineOf(poolletValues(index));
}

export function poolletMachineOf(
  values: PoolletMachineValues,
): MessageInitShape<typeof machine.CreateMachineRequestSchema> {
  const { namespace, name, machineUid, nicUid, ip } = values;
  const nicName = `${name}-primary`;
  // Go's json.Marshal sorts map keys, so the poollet's raw*Labels JSON has its keys in this order.
  const rawNICLabels = JSON.stringify({
    [`${POOLLET}/nic-name`]: nicName,
    [`${POOLLET}/nic-namespace`]: namespace,
    [`${POOLLET}/nic-uid`]: nicUid,
  });
  const rawNetworkLabels = JSON.stringify({
    [`${POOLLET}/network-name`]: "tenant-network",
    [`${POOLLET}/network-namespace`]: namespace,
    [`${POOLLET}/network-uid`]: "0b0d6a0e-5b3f-4c1e-9f2a-7d8e9c0a1b2c",
  });
  return {
    machine: {
      metadata: {
        labels: {
          [`${POOLLET}/machine-uid`]: machineUid,
          [`${POOLLET}/machine-namespace`]: namespace,
          [`${POOLLET}/machine-name`]: name,
        },
        annotations: {
          [`${POOLLET}/machine-generation`]: "1",
          [`${POOLLET}/irimachine-generation`]: "0",
          [`${POOLLET}/networkinterfacemapping`]: JSON.stringify({
            primary: { name: nicName, uid: nicUid },
          }),
        },
      },
      spec: {
        class: "t3-small",
        volumes: [
          {
            name: "root",
            device: "oda",
            localDisk: {
              sizeBytes: 10n * GIB,
              image: { image: "ghcr.io/ironcore-dev/os-images/gardenlinux:1592.4" },
            },
          },
        ],
        networkInterfaces: [
          {
            name: "primary",
            networkId: "vni-3f2a91",
            ips: [ip],
            attributes: { rawNICLabels, rawNetworkLabels },
          },
        ],
      },
    },
  };
}
