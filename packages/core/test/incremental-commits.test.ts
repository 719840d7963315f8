/**
 * Incremental commits (DESIGN §4): an array whose bytes a row of the catalog already stores is
 * referenced, not uploaded again; retiring and gc delete per object; a gc between a commit's
 * catalog read and its swap makes the commit upload again rather than reference what gc deletes.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CatalogClient,
  CatalogReader,
  Checkpoint,
  checkpointState,
  openStore,
  type Store,
  typedArray,
} from "../src/index.js";
import { CountingStore } from "./support/counting-store.js";
import { GatedStore } from "./support/gated-store.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const Field = checkpointState(
  "fixture.Field",
  z.object({ step: z.number(), grid: typedArray("float64"), mask: typedArray("uint8") }),
);
const env = {};

function initial() {
  return {
    step: 0,
    grid: new Float64Array(1024).map((_, i) => i * 0.5),
    mask: new Uint8Array(8192).map((_, i) => i % 7),
  };
}

function reader(store: Store, name: string): CatalogReader {
  return new CatalogReader({ store, checkpoint: name, root: name, warn: () => {} });
}

/** Every key the rows reference (their manifests and listed objects) exists, and every row verifies. */
async function expectWhole(store: Store, name: string): Promise<void> {
  const read = reader(store, name);
  for (const row of await read.rows()) await read.verify(row);
}

describe("restoring a checkpoint written before manifests had digests", () => {
  const fixture = fileURLToPath(new URL("./fixtures/format-1-checkpoint/", import.meta.url));
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it("restores its rows, then commits on top of them and reuses from then on", async () => {
    const folder = await mkdtemp(join(tmpdir(), "ckpt-format-1-"));
    folders.push(folder);
    await cp(fixture, folder, { recursive: true });
    const store = await openStore(pathToFileURL(folder).href);
    const checkpoint = new Checkpoint("format-1", { store, env });
    let mask: Uint8Array | undefined;
    await checkpoint.run(async (session) => {
      const field = session.bind(Field, initial());
      expect(field.value.step).toBe(2);
      expect(field.value.grid[0]).toBe(2);
      expect(field.value.mask).toEqual(initial().mask);
      mask = field.value.mask;
      for (const step of [3, 4]) {
        field.value.step = step;
        field.value.grid[0] = step;
        await session.write({ leadTime: step });
      }
    });
    const read = reader(store, "format-1");
    const rows = await read.rows();
    expect(rows.map((row) => row.writeCount)).toEqual([1, 2, 3, 4]);
    // The old rows list no digest, so write 3 uploads the mask; write 4 reuses write 3's.
    const third = await read.manifest(rows[2]!);
    const fourth = await read.manifest(rows[3]!);
    const maskOf = (manifest: typeof third) => manifest.objects.find((o) => o.key.endsWith("mask.npy"))!;
    expect(maskOf(third).location).toBeUndefined();
    expect(maskOf(fourth).location).toBe(`commits/${rows[2]!.commitId}/states/fixture.Field/mask.npy`);
    expect(fourth.version).toBe(2);
    expect((await read.manifest(rows[0]!)).version).toBe(1);
    await expectWhole(store, "format-1");
    const again = new Checkpoint("format-1", { store, env });
    for (const writeCount of [1, 4]) {
      const session = await again.select({ writeCount });
      const field = session.bind(Field, initial());
      expect(field.value.step).toBe(writeCount);
      expect(field.value.mask).toEqual(mask);
      await again.close();
    }
  });
});

describe.each(memfsAndDisk("incremental"))("incremental commits on $name", ({ open }) => {
  it("puts only the changed array; the manifest lists every object with its digest", async () => {
    const store = new CountingStore(await open());
    const checkpoint = new Checkpoint("reuse", { store, mode: "append", env });
    await checkpoint.run(async (session) => {
      const field = session.bind(Field, initial());
      await session.write({ step: 1 });
      store.calls.length = 0;
      field.value.grid[5] = -1;
      await session.write({ step: 2 });
    });
    const puts = store.calls.filter((call) => call.op === "put").map((call) => call.key);
    // state.json (the step is unchanged: packed fields only) is reused too; grid is put.
    expect(puts.filter((key) => key.endsWith(".npy")).map((key) => key.split("/").at(-1))).toEqual([
      "grid.npy",
    ]);
    const read = reader(store, "reuse");
    const [first, second] = await read.rows();
    const manifest = await read.manifest(second!);
    for (const entry of manifest.objects) expect(entry.digest).toMatch(/^xxh3-128:[0-9a-f]{32}$/);
    expect(manifest.objects.find((o) => o.key.endsWith("mask.npy"))!.location).toBe(
      `commits/${first!.commitId}/states/fixture.Field/mask.npy`,
    );
    await expectWhole(store, "reuse");
  });

  it("incremental: false puts every object and records no digest", async () => {
    const store = new CountingStore(await open());
    const checkpoint = new Checkpoint("full", { store, mode: "append", incremental: false, env });
    await checkpoint.run(async (session) => {
      session.bind(Field, initial());
      await session.write({ step: 1 });
      store.calls.length = 0;
      await session.write({ step: 2 });
    });
    expect(store.calls.filter((call) => call.op === "put" && call.key.endsWith(".npy"))).toHaveLength(2);
    const read = reader(store, "full");
    for (const row of await read.rows())
      for (const entry of (await read.manifest(row)).objects) {
        expect(entry.digest).toBeUndefined();
        expect(entry.location).toBeUndefined();
      }
  });

  it("retiring a row deletes its manifest and only the objects no remaining row references", async () => {
    const inner = await open();
    const checkpoint = new Checkpoint("retire", { store: inner, cleanup: "await", env });
    await checkpoint.run(async (session) => {
      const field = session.bind(Field, initial());
      for (let step = 1; step <= 3; step++) {
        field.value.grid[0] = step;
        await session.write({ step });
      }
    });
    const read = reader(inner, "retire");
    const rows = await read.rows();
    expect(rows).toHaveLength(1);
    const manifest = await read.manifest(rows[0]!);
    const mask = manifest.objects.find((o) => o.key.endsWith("mask.npy"))!;
    const stateJson = manifest.objects.find((o) => o.key.endsWith("state.json"))!;
    expect(mask.location!.split("/")[1]).not.toBe(rows[0]!.commitId);
    // The first two commits' manifests and grids are gone; the first one's mask and state.json
    // (the step field never changed), still referenced, stay.
    const left = (await inner.list("retire/commits/")).items.map((info) => info.key).sort();
    expect(left).toEqual(
      [
        `retire/${mask.location}`,
        `retire/${stateJson.location}`,
        `retire/commits/${rows[0]!.commitId}/manifest.json`,
        `retire/commits/${rows[0]!.commitId}/states/fixture.Field/grid.npy`,
      ].sort(),
    );
    await read.verify(rows[0]!);
    expect((await checkpoint.format()).length).toBeGreaterThan(0);
  });

  it("gc removes a removed row's objects but keeps those a remaining row reuses", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("gc", { store, mode: "append", env });
    await checkpoint.run(async (session) => {
      const field = session.bind(Field, initial());
      await session.write({ step: 1 });
      field.value.grid[0] = 9;
      await session.write({ step: 2 });
    });
    const [first, second] = await checkpoint.catalog();
    await checkpoint.remove(first!.commitId);
    const client = new CatalogClient({ store, checkpoint: "gc", root: "gc", warn: () => {} });
    const result = await client.gc({ olderThan: 0 });
    expect(result.removed).toEqual([first!.commitId]);
    // Manifest and grid of the first commit went; its mask and state.json stay (reused).
    expect(result.objects).toBe(2);
    await client.verify(second!);
    const catalog = JSON.parse(new TextDecoder().decode((await store.get("gc/catalog.json")).bytes));
    // gc recorded, by compare-and-swap before deleting, which commit folders it deleted from.
    expect(catalog.gcFences).toEqual([{ seq: catalog.seq, commits: [first!.commitId] }]);
  });

  it("copyFrom copies a reused object once, to the key its manifests name, and every row verifies there", async () => {
    const source = await open();
    const checkpoint = new Checkpoint("copied", { store: source, mode: "append", env });
    await checkpoint.run(async (session) => {
      const field = session.bind(Field, initial());
      for (let step = 1; step <= 3; step++) {
        field.value.grid[0] = step;
        await session.write({ step });
      }
    });
    const destination = await open();
    const client = new CatalogClient({
      store: destination,
      checkpoint: "copied",
      root: "copied",
      warn: () => {},
    });
    const result = await client.copyFrom(reader(source, "copied"));
    expect(result.copied).toBe(3);
    await expectWhole(destination, "copied");
    const keys = async (store: Store) =>
      (await store.list("copied/commits/")).items.map((info) => info.key).sort();
    expect(await keys(destination)).toEqual(await keys(source));
  });

  it("a commit whose catalog a gc fenced after its uploads began plans again into a new folder", async () => {
    const inner = await open();
    const writer = new Checkpoint("fenced", { store: inner, mode: "append", env });
    await writer.run(async (session) => {
      session.bind(Field, initial());
      await session.write({ step: 1 });
    });
    // A second writer whose commit is held after its objects, before its manifest.
    const gated = new GatedStore(inner);
    const second = new Checkpoint("fenced", { store: gated, mode: "append", env });
    const session = await second.open();
    const field = session.bind(Field, initial());
    field.value.grid[1] = 42;
    const held = gated.hold((key) => key.endsWith("manifest.json"));
    const pending = session.write({ step: 2 });
    await held;
    const gc = new CatalogClient({ store: inner, checkpoint: "fenced", root: "fenced", warn: () => {} });
    // The held commit's grid is unreferenced: gc with no grace period deletes it.
    const collected = await gc.gc({ olderThan: 0 });
    expect(collected.objects).toBeGreaterThan(0);
    gated.release();
    const entry = await pending;
    await second.close();
    const read = reader(inner, "fenced");
    const rows = await read.rows();
    expect(rows.map((row) => row.commitId)).toContain(entry!.commitId);
    await expectWhole(inner, "fenced");
    const restored = new Checkpoint("fenced", { store: inner, env });
    await restored.run(async (again) => {
      expect(again.bind(Field, initial()).value.grid[1]).toBe(42);
    });
  });

  it("a commit that reused a row another writer retired meanwhile uploads the bytes instead", async () => {
    const store = await open();
    const options = {
      store,
      checkpoint: "raced",
      root: "raced",
      mode: "overwrite" as const,
      cleanup: "await" as const,
      warn: () => {},
    };
    const a = new CatalogClient(options);
    const b = new CatalogClient(options);
    const body = (text: string) => new TextEncoder().encode(text);
    const request = (writeCount: number, labels: Record<string, string>, content: string) => ({
      writeCount,
      labels,
      metadata: {},
      states: { s: { path: "states/s", schemaHash: "h" } },
      objects: [{ key: "states/s/state.json", chunks: [body(content)], size: body(content).byteLength }],
    });
    const first = await a.commit(request(1, { g: "x" }, "shared bytes"));
    await b.rows();
    await b.manifest(first);
    // a retires its own row (and, unreferenced then, its object); b's cache still holds that row.
    await a.commit(request(2, { g: "x" }, "other bytes"));
    const row = await b.commit(request(1, { g: "y" }, "shared bytes"));
    const manifest = await b.manifest(row);
    expect(manifest.objects[0]!.location).toBeUndefined();
    expect((await a.rows()).map((existing) => existing.commitId)).not.toContain(first.commitId);
    await expectWhole(store, "raced");
  });
});
