/**
 * A checkpoint's catalog is one a user can trust: the checkpoint keeps its own mode and history
 * size whoever opens it, reading never writes, and damage of any kind (a checksum or a decode
 * failure) is handled one way: the implicit latest row falls back to the newest row that restores.
 * Each case runs on memfs and on a real folder, through a store that records every write.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bindCheckpointState,
  CatalogReader,
  Checkpoint,
  CheckpointDecodeError,
  CheckpointIntegrityError,
  CheckpointOptionError,
  CheckpointSelectionError,
  checkpointState,
  checksumOf,
  listAllArray,
  openStore,
  type Store,
  verifyRow,
} from "../src/index.js";
import { CountingStore } from "./support/counting-store.js";
import "@ckpt/store-fs";

const env = {};
// 8 KiB: an array over 4 KiB is its own .npy object, which the damage tests alter.
const LENGTH = 1024;

const Field = checkpointState(
  "trust.Field",
  z.object({ step: z.number(), values: z.instanceof(Float64Array) }),
);

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-catalog-trust-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const targets: readonly { name: string; fresh: () => Promise<Store> }[] = [
  { name: "memfs", fresh: () => openStore(`memory://catalog-trust-${process.pid}-${counter++}`) },
  { name: "a folder", fresh: () => openStore(pathToFileURL(join(dir, `store-${counter++}`)).href) },
];

/** The writes (puts and deletes) a store saw. */
function writes(store: CountingStore): { op: string; key: string }[] {
  return store.calls.filter((call) => call.op.startsWith("put") || call.op === "delete");
}

async function writeRows(
  store: Store,
  name: string,
  count: number,
  options: { mode?: "append" | "overwrite"; historySize?: number | null } = { mode: "append" },
): Promise<void> {
  const checkpoint = new Checkpoint(name, { store, env, warn: () => {}, ...options });
  await checkpoint.run(async (session) => {
    const field = bindCheckpointState(Field, { step: 0, values: new Float64Array(LENGTH) }).value;
    const start = session.writeCount;
    for (let n = start + 1; n <= start + count; n++) {
      field.step = n;
      field.values.fill(n);
      await session.write({ step: n });
    }
  });
}

async function keysUnder(store: Store, prefix: string): Promise<string[]> {
  return (await listAllArray(store, prefix)).map((info) => info.key).sort();
}

/** Rewrites the `.npy` header of a row's array to another dtype and fixes the manifest's checksum. */
async function disagreeingHeader(store: Store, root: string, commitId: string): Promise<string> {
  const folder = `${root}/commits/${commitId}`;
  const npyKey = (await keysUnder(store, `${folder}/`)).find((key) => key.endsWith(".npy"))!;
  const bytes = Uint8Array.from((await store.get(npyKey)).bytes);
  const text = Buffer.from(bytes).toString("latin1").replace("'<f8'", "'<i8'");
  const tampered = Uint8Array.from(Buffer.from(text, "latin1"));
  await store.put(npyKey, tampered);
  const manifestKey = `${folder}/manifest.json`;
  const manifest = JSON.parse(new TextDecoder().decode((await store.get(manifestKey)).bytes));
  for (const object of manifest.objects)
    if (`${folder}/${object.key}` === npyKey) object.checksum = checksumOf(tampered);
  await store.put(manifestKey, new TextEncoder().encode(JSON.stringify(manifest, null, 2)));
  return npyKey;
}

for (const target of targets)
  describe(`on ${target.name}`, () => {
    describe("the checkpoint keeps its mode and history size", () => {
      it("reopening an append checkpoint with default options and writing keeps every row", async () => {
        const store = await target.fresh();
        await writeRows(store, "adopt", 5, { mode: "append" });
        const reopened = new Checkpoint("adopt", { store, env, warn: () => {} });
        expect(reopened.mode).toBe("overwrite");
        await reopened.run((session) => session.write({ step: 6 }));
        expect(reopened.mode).toBe("append");
        expect(reopened.historySize).toBeNull();
        expect((await reopened.catalog()).map((entry) => entry.writeCount)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(
          (await keysUnder(store, "adopt/commits/")).filter((key) => key.endsWith("manifest.json")),
        ).toHaveLength(6);
      });

      it("adopts the recorded history size unless one is given", async () => {
        const store = await target.fresh();
        await writeRows(store, "history", 3, { mode: "append", historySize: 3 });
        const reopened = new Checkpoint("history", { store, env, warn: () => {} });
        await reopened.run((session) => session.write({ step: 4 }));
        expect(reopened.historySize).toBe(3);
        expect((await reopened.catalog()).map((entry) => entry.writeCount)).toEqual([2, 3, 4]);
      });

      it("an explicit mode that conflicts is CheckpointOptionError naming both, before anything is written", async () => {
        const inner = await target.fresh();
        await writeRows(inner, "conflict", 3, { mode: "append" });
        const store = new CountingStore(inner);
        const checkpoint = new Checkpoint("conflict", { store, mode: "overwrite", env, warn: () => {} });
        await expect(checkpoint.open()).rejects.toBeInstanceOf(CheckpointOptionError);
        const failure = await checkpoint.run((session) => session.write({ step: 4 })).catch((error) => error);
        expect(failure).toBeInstanceOf(CheckpointOptionError);
        expect(failure.message).toContain("'overwrite'");
        expect(failure.message).toContain("'append'");
        expect(failure.message).toContain("changeMode");
        expect(writes(store)).toEqual([]);
        expect(checkpoint.mode).toBe("append");
        expect(await checkpoint.catalog()).toHaveLength(3);
      });

      it("changeMode: true changes the mode, and the catalog records it", async () => {
        const store = await target.fresh();
        await writeRows(store, "change", 3, { mode: "append" });
        const checkpoint = new Checkpoint("change", { store, mode: "overwrite", changeMode: true, env });
        await checkpoint.run((session) => session.write({ step: 4 }));
        expect(checkpoint.mode).toBe("overwrite");
        expect((await checkpoint.catalog()).map((entry) => entry.writeCount)).toEqual([4]);
        const catalog = JSON.parse(new TextDecoder().decode((await store.get("change/catalog.json")).bytes));
        expect(catalog).toMatchObject({ mode: "overwrite", historySize: null });
        expect((await new Checkpoint("change", { store, env }).catalog()).length).toBe(1);
      });

      it("a damaged catalog read with default options is rebuilt with every row the writers kept", async () => {
        const store = await target.fresh();
        await writeRows(store, "rebuild", 5, { mode: "append" });
        await store.put("rebuild/catalog.json", new TextEncoder().encode("{ damaged"));
        const warnings: string[] = [];
        const reader = new Checkpoint("rebuild", { store, env, warn: (message) => warnings.push(message) });
        expect((await reader.catalog()).map((entry) => entry.writeCount)).toEqual([1, 2, 3, 4, 5]);
        expect(reader.mode).toBe("append");
        expect(warnings.join("\n")).toMatch(/damaged.*rebuilt/);
        // The next commit writes the rebuilt catalog back with its own row, and gc then keeps all.
        await reader.run((session) => session.write({ step: 6 }));
        expect((await reader.catalog()).map((entry) => entry.writeCount)).toEqual([1, 2, 3, 4, 5, 6]);
        expect((await reader.gc({ olderThan: 0 })).removed).toEqual([]);
      });

      it("a catalog written before mode was recorded takes it from the newest manifest", async () => {
        const store = await target.fresh();
        await writeRows(store, "legacy", 3, { mode: "append" });
        const catalog = JSON.parse(new TextDecoder().decode((await store.get("legacy/catalog.json")).bytes));
        delete catalog.mode;
        delete catalog.historySize;
        await store.put("legacy/catalog.json", new TextEncoder().encode(JSON.stringify(catalog)));
        const reopened = new Checkpoint("legacy", { store, env });
        await reopened.run((session) => session.write({ step: 4 }));
        expect(reopened.mode).toBe("append");
        expect((await reopened.catalog()).map((entry) => entry.writeCount)).toEqual([1, 2, 3, 4]);
      });
    });

    describe("reading never writes", () => {
      for (const damage of ["missing", "damaged"] as const)
        it(`catalog(), select(), open(), format() and verify on a ${damage} catalog put nothing`, async () => {
          const inner = await target.fresh();
          await writeRows(inner, "ro", 3, { mode: "append" });
          if (damage === "missing") await inner.delete(["ro/catalog.json"]);
          else await inner.put("ro/catalog.json", new TextEncoder().encode("[]"));
          const store = new CountingStore(inner);
          const warnings: string[] = [];
          const checkpoint = new Checkpoint("ro", { store, env, warn: (message) => warnings.push(message) });
          const entries = await checkpoint.catalog();
          expect(entries.map((entry) => entry.writeCount)).toEqual([1, 2, 3]);
          expect((await checkpoint.select(0)).writeCount).toBe(1);
          expect((await checkpoint.select()).writeCount).toBe(3);
          expect((await checkpoint.open()).writeCount).toBe(3);
          expect(await checkpoint.format()).toContain("mode: append");
          await checkpoint.verify(entries[2]!);
          expect(await checkpoint.allSteps()).toEqual([1, 2, 3]);
          await checkpoint.close();
          expect(writes(store)).toEqual([]);
          expect(warnings.length).toBeGreaterThan(0);
          expect(warnings[0]).toContain(damage);

          // repair writes it, by compare-and-swap, once.
          const repairer = new Checkpoint("ro", { store, env, warn: () => {} });
          expect(await repairer.repair()).toBe(true);
          expect(writes(store).map((call) => [call.op, call.key])).toEqual([["put?", "ro/catalog.json"]]);
          expect(await repairer.repair()).toBe(false);
          expect(writes(store)).toHaveLength(1);
        });
    });

    describe("damage is handled one way", () => {
      it("a decode failure falls back by default, with a warning naming the damaged row", async () => {
        const store = await target.fresh();
        await writeRows(store, "decode", 3, { mode: "append" });
        const rows = await new Checkpoint("decode", { store, env }).catalog();
        const key = await disagreeingHeader(store, "decode", rows[2]!.commitId);
        const warnings: string[] = [];
        const checkpoint = new Checkpoint("decode", {
          store,
          env,
          warn: (message) => warnings.push(message),
        });
        const restored = await checkpoint.run((session) => {
          const field = session.bind(Field, { step: 0, values: new Float64Array(LENGTH) }).value;
          return field.step;
        });
        expect(restored).toBe(2);
        expect(warnings.join("\n")).toContain(rows[2]!.commitId);
        // verify: "latest" falls back too, and verifying the row is a decode failure naming the key.
        expect((await checkpoint.select(undefined, { verify: "latest" })).commitId).toBe(rows[1]!.commitId);
        const failure = await checkpoint.verify(rows[2]!).catch((error) => error);
        expect(failure).toBeInstanceOf(CheckpointDecodeError);
        // An explicit row does not fall back.
        await expect(checkpoint.select(-1)).rejects.toBeInstanceOf(CheckpointDecodeError);
        void key;
      });

      it("a checksum failure of the latest row falls back by default, whatever the mode, reading each object once", async () => {
        const inner = await target.fresh();
        // Two label groups in overwrite mode: the newest row of each.
        const a = new Checkpoint("groups", { store: inner, env, warn: () => {} });
        await a.run(
          async (session) => {
            bindCheckpointState(Field, { step: 1, values: new Float64Array(LENGTH).fill(1) });
            await session.write({ step: 1 });
          },
          { labels: { member: 1 } },
        );
        await a.run(
          async (session) => {
            bindCheckpointState(Field, { step: 2, values: new Float64Array(LENGTH).fill(2) });
            await session.write({ step: 2 });
          },
          { labels: { member: 2 } },
        );
        const [older, newest] = await a.catalog();
        const npy = (await keysUnder(inner, `groups/commits/${newest!.commitId}/`)).find((key) =>
          key.endsWith(".npy"),
        )!;
        const bytes = Uint8Array.from((await inner.get(npy)).bytes);
        bytes[bytes.length - 1]! ^= 0xff;
        await inner.put(npy, bytes);

        const warnings: string[] = [];
        const store = new CountingStore(inner);
        const reader = new Checkpoint("groups", { store, env, warn: (message) => warnings.push(message) });
        expect((await reader.open()).commitId).toBe(older!.commitId);
        expect(warnings.join("\n")).toContain(newest!.commitId);
        expect(warnings.join("\n")).toContain(npy);

        // Nothing damaged: every object of the row is read once.
        const intact = new CountingStore(inner);
        await new Checkpoint("groups", { store: intact, env }).select(undefined, { labels: { member: 1 } });
        const reads = intact.calls.filter((call) => call.op === "get" || call.op === "getStream");
        expect(new Set(reads.map((call) => call.key)).size).toBe(reads.length);
      });

      it("no row restores: the error says which options exist", async () => {
        const store = await target.fresh();
        await writeRows(store, "lost", 1, { mode: "append" });
        const [row] = await new Checkpoint("lost", { store, env }).catalog();
        await disagreeingHeader(store, "lost", row!.commitId);
        const failure = await new Checkpoint("lost", { store, env }).open().catch((error) => error);
        expect(failure).toBeInstanceOf(CheckpointDecodeError);
        expect(failure.message).toContain("checkpoint.select(row)");
        expect(failure.message).toContain("ckpt rm");
      });

      it("remove drops a row by compare-and-swap and leaves its objects to gc", async () => {
        const inner = await target.fresh();
        await writeRows(inner, "rm", 3, { mode: "append" });
        const store = new CountingStore(inner);
        const checkpoint = new Checkpoint("rm", { store, env });
        const rows = await checkpoint.catalog();
        const removed = await checkpoint.remove(rows[1]!.commitId);
        expect(removed.commitId).toBe(rows[1]!.commitId);
        expect(writes(store).map((call) => [call.op, call.key])).toEqual([["put?", "rm/catalog.json"]]);
        expect((await checkpoint.catalog()).map((entry) => entry.writeCount)).toEqual([1, 3]);
        expect(await keysUnder(inner, `rm/commits/${rows[1]!.commitId}/`)).not.toEqual([]);
        await expect(checkpoint.remove(rows[1]!.commitId)).rejects.toBeInstanceOf(CheckpointSelectionError);
        expect((await checkpoint.gc({ olderThan: 0 })).removed).toEqual([rows[1]!.commitId]);
      });
    });

    describe("selection by step", () => {
      it("select takes a writeCount or a commit id; latestStep and allSteps list the steps", async () => {
        const store = await target.fresh();
        await writeRows(store, "steps", 4, { mode: "append" });
        const checkpoint = new Checkpoint("steps", { store, env });
        expect(await checkpoint.allSteps()).toEqual([1, 2, 3, 4]);
        expect(await checkpoint.latestStep()).toBe(4);
        expect(await new Checkpoint("nothing", { store, env }).latestStep()).toBeUndefined();
        const session = await checkpoint.select({ writeCount: 2 });
        expect(session.writeCount).toBe(2);
        expect(session.bind(Field, { step: 0, values: new Float64Array(LENGTH) }).value.step).toBe(2);
        const byId = await checkpoint.select({ commitId: session.commitId! });
        expect(byId.writeCount).toBe(2);
        const missing = await checkpoint.select({ writeCount: 9 }).catch((error) => error);
        expect(missing).toBeInstanceOf(CheckpointSelectionError);
        expect(missing.message).toContain("1, 2, 3, 4");
        await expect(checkpoint.select({ commitId: "commit_00000009_aaaaaaaaaaaa" })).rejects.toBeInstanceOf(
          CheckpointSelectionError,
        );
      });
    });

    it("verifyRow reports checksum damage as CheckpointIntegrityError", async () => {
      const store = await target.fresh();
      await writeRows(store, "verify", 1, { mode: "append" });
      const checkpoint = new Checkpoint("verify", { store, env });
      const [row] = await checkpoint.catalog();
      const npy = (await keysUnder(store, `verify/commits/${row!.commitId}/`)).find((key) =>
        key.endsWith(".npy"),
      )!;
      const bytes = Uint8Array.from((await store.get(npy)).bytes);
      bytes[bytes.length - 1]! ^= 0xff;
      await store.put(npy, bytes);
      const reader = new CatalogReader({ store, checkpoint: "verify", root: "verify" });
      await expect(verifyRow(reader, row!.row)).rejects.toBeInstanceOf(CheckpointIntegrityError);
    });
  });
