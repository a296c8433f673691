// Machine volumes and NICs shaped like the machinepoollet's: every field the poollet compares is populated, and
// the ips are deliberately unsorted so a provider that reorders them is caught. Secrets here are dummies.
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";

const GIB = 1024n * 1024n * 1024n;
const bytes = (text: string) => new TextEncoder().encode(text);

export function localDiskVolume(name: string, device: string): machine.Volume {
  return create(machine.VolumeSchema, {
    name,
    device,
    localDisk: { sizeBytes: 2n * GIB, image: { image: "registry.invalid/conformance/os-image:v1" } },
  });
}

export function remoteVolume(name: string, device: string, handle: string): machine.Volume {
  return create(machine.VolumeSchema, {
    name,
    device,
    connection: {
      driver: "ceph",
      handle,
      attributes: {
        monitors: "192.0.2.10:6789,192.0.2.11:6789",
        image: `conformance/${handle}`,
        rawVolumeLabels:
          '{"volumepoollet.ironcore.dev/volume-name":"data","volumepoollet.ironcore.dev/volume-uid":"u1"}',
      },
      secretData: { userID: bytes("conformance"), userKey: bytes("not-a-real-key") },
      encryptionData: { encryptionKey: bytes("not-a-real-passphrase") },
      effectiveStorageBytes: 10n * GIB,
    },
  });
}

export function networkInterface(
  name: string,
  ips: string[],
  networkId = "conformance-network",
): machine.NetworkInterface {
  return create(machine.NetworkInterfaceSchema, {
    name,
    networkId,
    ips,
    attributes: {
      rawNICLabels:
        '{"machinepoollet.ironcore.dev/nic-name":"nic-a","machinepoollet.ironcore.dev/nic-uid":"u2"}',
      rawNetworkLabels: '{"machinepoollet.ironcore.dev/network-name":"net-a"}',
    },
  });
}

/** The spec parts a machinepoollet sends on create. */
export function fullMachineParts() {
  return {
    volumes: [localDiskVolume("root", "oda"), remoteVolume("data", "odb", "conformance-handle-1")],
    networkInterfaces: [networkInterface("primary", ["10.0.0.3", "10.0.0.1", "fd00::2"])],
    guestConfig: create(machine.GuestConfigSchema, { hostname: "conformance-host" }),
  };
}
