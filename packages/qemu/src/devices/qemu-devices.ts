import type { QmpClient } from "../qmp/qmp-client.js";

/**
 * The ids of the devices QEMU holds, from QOM rather than query-pci: a device being unplugged leaves the PCI
 * bus listing before /machine/peripheral (DEVICE_DELETED). Even then it may hold its block node a moment
 * longer, until it is finalised; adding a device on that node then fails and is retried (see syncDevices).
 */
export async function presentDevices(qmp: QmpClient): Promise<Set<string>> {
  const children = await qmp.execute<Array<{ name: string; type: string }>>("qom-list", {
    path: "/machine/peripheral",
  });
  return new Set(children.filter((child) => child.type.startsWith("child<")).map((child) => child.name));
}

/** The virtual size of every block node QEMU holds, by node name. */
export async function blockNodeSizes(qmp: QmpClient): Promise<Map<string, bigint>> {
  const nodes = await qmp.execute<Array<{ "node-name": string; image?: { "virtual-size"?: number } }>>(
    "query-named-block-nodes",
    { flat: true },
  );
  return new Map(nodes.map((node) => [node["node-name"], BigInt(node.image?.["virtual-size"] ?? 0)]));
}

/** The ids of the QOM objects (secrets) QEMU holds. */
export async function objectIds(qmp: QmpClient): Promise<Set<string>> {
  const objects = await qmp.execute<Array<{ name: string }>>("qom-list", { path: "/objects" });
  return new Set(objects.map((object) => object.name));
}
