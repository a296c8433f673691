import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { ProviderError, preparedResponseKey } from "@iri/runtime-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MachineRecord, toMachine } from "../machine-store.js";
import { LIST_BUDGET, machineFixture } from "../testdata/machine-fixture.js";
import { attachVolume } from "./attach-volume.js";
import type { MachineServerContext } from "./context.js";
import { createMachine } from "./create-machine.js";
import { ListedBytes } from "./listed-bytes.js";
import { status } from "./status.js";
import { updateMachineAnnotations } from "./update-machine-annotations.js";
import { updateVolume } from "./update-volume.js";

let fixture: Awaited<ReturnType<typeof machineFixture>>;
let ctx: MachineServerContext;

beforeEach(async () => {
  fixture = await machineFixture();
  ctx = fixture.ctx;
});

afterEach(() => fixture.close());

const request = (n: number) =>
  create(machine.CreateMachineRequestSchema, {
    machine: {
      metadata: { labels: { "machinepoollet.ironcore.dev/machine-uid": `uid-${n}` } },
      spec: { class: "one-cpu" },
    },
  });

it("admits concurrent creates only up to capacity, telling refused ones why through an event", async () => {
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, n) => createMachine(ctx, request(n))),
  );
  const accepted = results.filter((r) => r.status === "fulfilled");
  const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  expect(accepted).toHaveLength(2);
  expect(
    refused.every((r) => r.reason instanceof ProviderError && r.reason.code === Code.ResourceExhausted),
  ).toBe(true);
  expect(ctx.machines.count()).toBe(2);
  const warnings = ctx.events.list({}).filter((e) => e.spec?.reason === "InsufficientCapacity");
  expect(warnings).toHaveLength(8);
  expect(warnings[0]?.spec?.type).toBe("Warning");
  expect(warnings[0]?.spec?.involvedObjectMeta?.labels["machinepoollet.ironcore.dev/machine-uid"]).toMatch(
    /^uid-/,
  );
});

it("reports a total that creating machines of the class does not change", async () => {
  const before = await status(ctx, create(machine.StatusRequestSchema));
  await createMachine(ctx, request(1));
  const after = await status(ctx, create(machine.StatusRequestSchema));
  expect(before.machineClassStatus?.[0]?.quantity).toBe(2n);
  expect(after.machineClassStatus?.[0]?.quantity).toBe(2n);
});

it("admits machines only while ListMachines stays under its budget (1 MiB ignitions), and says by how much", async () => {
  const withIgnition = (n: number) => {
    const req = request(n);
    if (req.machine?.spec) req.machine.spec.ignitionData = new Uint8Array(1024 * 1024).fill(n);
    return req;
  };
  await createMachine(ctx, withIgnition(1));
  await createMachine(ctx, withIgnition(2));
  const refused = await createMachine(ctx, withIgnition(3)).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ProviderError);
  expect((refused as ProviderError).code).toBe(Code.ResourceExhausted);
  expect((refused as ProviderError).message).toMatch(
    /would bring ListMachines to \d+ bytes, over its budget of 3145728 .*taken by 2 machines/,
  );
  expect(ctx.machines.count()).toBe(2);
  expect(ctx.events.list({}).some((e) => e.spec?.reason === "ListBudgetExceeded")).toBe(true);
  // What the two take is counted from what is stored: more than their ignitions, less than the budget.
  expect(ctx.listed.total).toBeGreaterThan(2 * 1024 * 1024);
  expect(ctx.listed.total).toBeLessThan(LIST_BUDGET);

  // Annotations count too: with 100 KB left, 200 KB of annotations are refused.
  const [first] = ctx.machines.list();
  const tight = { ...ctx, listed: new ListedBytes(ctx.machines, ctx.listed.total + 100_000) };
  const grow = updateMachineAnnotations(
    tight,
    create(machine.UpdateMachineAnnotationsRequestSchema, {
      machineId: first?.metadata.id ?? "",
      annotations: { big: "a".repeat(200_000) },
    }),
  );
  await expect(grow).rejects.toMatchObject({ code: Code.ResourceExhausted });
  expect(ctx.machines.get(first?.metadata.id ?? "")?.metadata.annotations).toEqual({});
});

describe("UpdateVolume", () => {
  const withVolume = (volume: MessageInitShape<typeof machine.VolumeSchema>) =>
    create(machine.CreateMachineRequestSchema, {
      machine: { spec: { class: "one-cpu", volumes: [volume] } },
    });
  const rbd = {
    name: "data",
    device: "odb",
    connection: {
      driver: "ceph",
      handle: "h1",
      attributes: { monitors: "127.0.0.1:3300", image: "pool/img" },
      secretData: { userID: new TextEncoder().encode("u"), userKey: new TextEncoder().encode("k") },
    },
  };
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => "ok",
      (error: ProviderError) => error.code,
    );

  it("runs the backend's volume validation: bad attributes are InvalidArgument and the spec is unchanged", async () => {
    const created = await createMachine(ctx, withVolume(rbd));
    const machineId = created.machine?.metadata?.id ?? "";
    const bad = create(machine.VolumeSchema, {
      ...rbd,
      connection: { ...rbd.connection, attributes: { monitors: "127.0.0.1:3300", image: "no-pool" } },
    });
    const error = await updateVolume(
      ctx,
      create(machine.UpdateVolumeRequestSchema, { machineId, volume: bad }),
    ).catch((e: ProviderError) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(Code.InvalidArgument);
    expect((error as ProviderError).message).toMatch(/pool\/image/);
    expect(ctx.machines.get(machineId)?.spec.volumes[0]?.connection?.attributes.image).toBe("pool/img");
  });

  it("refuses to change a local disk's image (InvalidArgument) and still grows its size", async () => {
    const disk = {
      name: "root",
      device: "oda",
      localDisk: { sizeBytes: 1n << 30n, image: { image: "r/a:1" } },
    };
    const created = await createMachine(ctx, withVolume(disk));
    const machineId = created.machine?.metadata?.id ?? "";
    const update = (volume: MessageInitShape<typeof machine.VolumeSchema>) =>
      codeOf(
        updateVolume(
          ctx,
          create(machine.UpdateVolumeRequestSchema, {
            machineId,
            volume: create(machine.VolumeSchema, volume),
          }),
        ),
      );
    expect(await update({ ...disk, localDisk: { ...disk.localDisk, image: { image: "r/b:1" } } })).toBe(
      Code.InvalidArgument,
    );
    expect(await update({ ...disk, localDisk: { ...disk.localDisk, sizeBytes: 2n << 30n } })).toBe("ok");
    expect(ctx.machines.get(machineId)?.spec.volumes[0]?.localDisk?.image?.image).toBe("r/a:1");
  });
});

it("counts local disks against the host's disk budget: ResourceExhausted with the numbers beyond it", async () => {
  const GiB = 1n << 30n;
  const disk = (name: string, device: string, sizeBytes: bigint) => ({
    name,
    device,
    localDisk: { sizeBytes },
  });
  const created = await createMachine(
    ctx,
    create(machine.CreateMachineRequestSchema, {
      machine: { spec: { class: "one-cpu", volumes: [disk("root", "oda", 2n * GiB)] } },
    }),
  );
  const machineId = created.machine?.metadata?.id ?? "";
  const attach = (sizeBytes: bigint) =>
    attachVolume(
      ctx,
      create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("data", "odb", sizeBytes) }),
    );
  const refused = await attach(2n * GiB).catch((e: ProviderError) => e);
  expect((refused as ProviderError).code).toBe(Code.ResourceExhausted);
  expect((refused as ProviderError).message).toContain(`${2n * GiB} held, ${2n * GiB} asked`);
  await attach(1n * GiB);
  const grow = await updateVolume(
    ctx,
    create(machine.UpdateVolumeRequestSchema, { machineId, volume: disk("data", "odb", 2n * GiB) }),
  ).catch((e: ProviderError) => e);
  expect((grow as ProviderError).code).toBe(Code.ResourceExhausted);
  expect(ctx.diskBudget.perClass().get("one-cpu")).toBe(3n * GiB);
});

it("answers Status from memory, without asking the host (a hung host must not fail the poollet's 5 s probe)", async () => {
  let asked = 0;
  ctx.backend.hostCapacity = () => {
    asked++;
    return new Promise(() => {});
  };
  await createMachine(ctx, request(1));
  expect(status(ctx, create(machine.StatusRequestSchema)).machineClassStatus?.[0]?.quantity).toBe(2n);
  expect(asked).toBe(0);
});

it("answers a create with the bytes of encoding the created machine, written from the stored record", async () => {
  const slot: { enveloped?: Uint8Array } = {};
  const context = { values: createContextValues().set(preparedResponseKey, slot) } as HandlerContext;
  const req = create(machine.CreateMachineRequestSchema, {
    machine: {
      metadata: {
        labels: { "machinepoollet.ironcore.dev/machine-uid": "uid-prepared" },
        annotations: { a: "b" },
      },
      spec: {
        class: "one-cpu",
        power: machine.Power.OFF,
        networkInterfaces: [{ name: "nic", networkId: "n1" }],
      },
    },
  });
  expect(await createMachine(ctx, req, context)).toEqual({});
  const enveloped = slot.enveloped as Uint8Array;
  const [record] = ctx.machines.list();
  const expected = toBinary(
    machine.CreateMachineResponseSchema,
    create(machine.CreateMachineResponseSchema, { machine: toMachine(record as MachineRecord) }),
  );
  expect(enveloped[0]).toBe(0);
  expect(new DataView(enveloped.buffer).getUint32(1)).toBe(expected.length);
  expect(Buffer.from(enveloped.subarray(5)).equals(Buffer.from(expected))).toBe(true);
});
