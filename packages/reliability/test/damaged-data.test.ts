/**
 * Damaged and hostile data: every case gives a typed ckpt error whose message names the store
 * key, reads no more than the manifest declares (nothing huge pulled into memory), and leaves the
 * store exactly as it was (every key and checksum compared before and after). The one documented
 * exception: a catalog.json that does not parse is rebuilt from the manifests and written back.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checkpoint, type CheckpointEntry, CkptError, npyHeader, type Store } from "@ckpt/core";
import { FsStore } from "@ckpt/store-fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  editManifest,
  forge,
  MeteredStore,
  nestedJson,
  overwrite,
  rowKeys,
  snapshot,
} from "./support/store-tools.js";
import { commitFieldRows, Field, fieldProblem, initialField } from "./support/workload.js";

const NAME = "damaged";
/** One row's objects (3.5 MiB) plus its JSON fit; any of the huge objects does not. */
const READ_BOUND = 8 * 1024 * 1024;

let dir: string;
let store: Store;
let rows: readonly CheckpointEntry[];

/** Commits rows 1..count of the workload state. */
async function commitRows(count: number, mode: "append" | "overwrite" = "append"): Promise<void> {
  rows = await commitFieldRows(store, NAME, count, mode);
}

/** A fresh reader (no cached manifests) over a metered view of the store. */
function reader(warnings: string[] = [], mode: "append" | "overwrite" = "append") {
  const metered = new MeteredStore(store);
  const checkpoint = new Checkpoint(NAME, { store: metered, mode, warn: (m) => warnings.push(m) });
  return { checkpoint, metered };
}

/** Selects `row` and restores the state: the whole read path of a resumed job. */
async function restore(checkpoint: Checkpoint, row?: number): Promise<CheckpointEntry> {
  const session = await checkpoint.select(row);
  const field = session.bind(Field, initialField());
  expect(fieldProblem(field.value, session.writeCount)).toBeUndefined();
  return session.entry!;
}

/**
 * Runs `read` against a fresh reader and returns its error, after checking: a CkptError with the
 * given code whose message names `key`, a bounded read, and an unchanged store.
 */
async function expectRefused(
  read: (checkpoint: Checkpoint) => Promise<unknown>,
  code: string,
  key: string,
): Promise<CkptError> {
  const before = await snapshot(store);
  const { checkpoint, metered } = reader();
  const error = await read(checkpoint).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `no error; expected ${code}`).toBeInstanceOf(CkptError);
  expect({ code: (error as CkptError).code, message: (error as CkptError).message }).toMatchObject({
    code,
    message: expect.stringContaining(key),
  });
  expect(metered.bytesRead).toBeLessThan(READ_BOUND);
  expect(metered.unboundedReads).toEqual([]);
  expect(await snapshot(store)).toEqual(before);
  return error as CkptError;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-reliability-damaged-"));
  store = new FsStore({ root: dir });
  await commitRows(3);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("damaged objects: typed error naming the key, nothing huge read, store unchanged", () => {
  it("the undamaged checkpoint restores (the baseline every case below breaks)", async () => {
    const { checkpoint } = reader();
    for (let row = 0; row < 3; row++) expect((await restore(checkpoint, row)).writeCount).toBe(row + 1);
  });

  it("a truncated .npy", async () => {
    const key = rowKeys(NAME, rows[2]!).npy("a");
    const bytes = (await store.get(key)).bytes;
    await overwrite(store, key, bytes.subarray(0, bytes.byteLength - 100));
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a bit-flipped .npy", async () => {
    const key = rowKeys(NAME, rows[2]!).npy("b");
    const bytes = new Uint8Array((await store.get(key)).bytes);
    bytes[bytes.byteLength >> 1]! ^= 0x10;
    await overwrite(store, key, bytes);
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a bit-flipped state.json", async () => {
    const key = rowKeys(NAME, rows[2]!).stateJson;
    const bytes = new Uint8Array((await store.get(key)).bytes);
    bytes[10]! ^= 0x01;
    await overwrite(store, key, bytes);
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a deleted .npy", async () => {
    const key = rowKeys(NAME, rows[2]!).npy("c");
    await store.delete([key]);
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("two objects of one commit swapped (same size, different bytes)", async () => {
    const keys = rowKeys(NAME, rows[2]!);
    const [b, c] = [(await store.get(keys.npy("b"))).bytes, (await store.get(keys.npy("c"))).bytes];
    expect(b.byteLength).toBe(c.byteLength);
    await overwrite(store, keys.npy("b"), c);
    await overwrite(store, keys.npy("c"), b);
    const error = await expectRefused((c) => restore(c, -1), "E_INTEGRITY", `${keys.folder}/states/`);
    expect(error.message).toMatch(/[bc]\.npy/);
  });

  it("an object swapped with the same object of another commit", async () => {
    const older = (await store.get(rowKeys(NAME, rows[0]!).npy("a"))).bytes;
    const key = rowKeys(NAME, rows[2]!).npy("a");
    await overwrite(store, key, older);
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a deleted manifest", async () => {
    const key = rowKeys(NAME, rows[2]!).manifest;
    await store.delete([key]);
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a catalog row naming a commit that does not exist", async () => {
    const ghost = "commit_00000009_0123456789ab";
    await editManifest(store, `${NAME}/catalog.json`, (catalog) => {
      const list = catalog.rows as Record<string, unknown>[];
      list.push({ ...list.at(-1)!, commitId: ghost, writeCount: 9 });
    });
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", `${NAME}/commits/${ghost}/manifest.json`);
  });
});

describe("hostile manifests and objects (checksums made to match): the decoder stands guard", () => {
  it("a manifest whose object key climbs out of its commit folder (../)", async () => {
    const { manifest } = rowKeys(NAME, rows[2]!);
    const outside = `../${rows[0]!.commitId}/states/reliability.Field/a.npy`;
    await editManifest(store, manifest, (document) => {
      (document.objects as { key: string }[])[0]!.key = outside;
    });
    const error = await expectRefused((c) => restore(c, -1), "E_INTEGRITY", manifest);
    expect(error.message).toContain("outside its commit folder");
  });

  it("a manifest whose state folder is absolute", async () => {
    const { manifest } = rowKeys(NAME, rows[2]!);
    await editManifest(store, manifest, (document) => {
      (document.states as Record<string, { path: string }>)["reliability.Field"]!.path = "/etc";
    });
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", manifest);
  });

  it("a .npy header whose shape would need terabytes", async () => {
    const keys = rowKeys(NAME, rows[2]!);
    const real = (await store.get(keys.npy("a"))).bytes;
    const realHeader = npyHeader("<f8", [131_072]).byteLength;
    // A shape of 2^40 float64 elements: 8 TiB. The checksum is made to match.
    const forged = Buffer.concat([npyHeader("<f8", [2 ** 40]), real.subarray(realHeader)]);
    await forge(store, NAME, rows[2]!.commitId, "states/reliability.Field/a.npy", forged);
    const error = await expectRefused(
      (c) => restore(c, -1),
      "E_DECODE",
      `${keys.folder}/states/reliability.Field/`,
    );
    expect(error.message).toContain("a.npy");
    expect(error.message).toContain("shape [1099511627776]");
  });

  it("a deeply nested value in state.json (100,000 levels)", async () => {
    const keys = rowKeys(NAME, rows[2]!);
    const document = JSON.parse(Buffer.from((await store.get(keys.stateJson)).bytes).toString("utf8"));
    document.fields.counter = "NESTED";
    const text = JSON.stringify(document).replace('"NESTED"', Buffer.from(nestedJson(100_000)).toString());
    await forge(store, NAME, rows[2]!.commitId, "states/reliability.Field/state.json", Buffer.from(text));
    const error = await expectRefused(
      (c) => restore(c, -1),
      "E_DECODE",
      `${keys.folder}/states/reliability.Field/`,
    );
    expect(error.message).toContain("nested more than");
  });

  it("a state.json that is not an object", async () => {
    const keys = rowKeys(NAME, rows[2]!);
    await forge(store, NAME, rows[2]!.commitId, "states/reliability.Field/state.json", nestedJson(3));
    const error = await expectRefused(
      (c) => restore(c, -1),
      "E_DECODE",
      `${keys.folder}/states/reliability.Field/`,
    );
    expect(error.message).toContain("state.json");
  });

  it("an object larger than its manifest declares is not read past the declared size", async () => {
    const key = rowKeys(NAME, rows[2]!).stateJson;
    await overwrite(store, key, new Uint8Array(64 * 1024 * 1024).fill(0x20));
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a gigantic manifest (20 MiB) is refused before it is read", async () => {
    const key = rowKeys(NAME, rows[2]!).manifest;
    await overwrite(store, key, new Uint8Array(20 * 1024 * 1024).fill(0x20));
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a deeply nested manifest", async () => {
    const key = rowKeys(NAME, rows[2]!).manifest;
    await overwrite(store, key, nestedJson(100_000));
    await expectRefused((c) => restore(c, -1), "E_INTEGRITY", key);
  });

  it("a gigantic catalog.json (80 MiB) is refused before it is read, and not rebuilt over", async () => {
    const key = `${NAME}/catalog.json`;
    await overwrite(store, key, new Uint8Array(80 * 1024 * 1024).fill(0x20));
    await expectRefused((c) => c.catalog(), "E_CATALOG", key);
  });

  it("a deeply nested catalog.json is rebuilt from the manifests (the documented exception)", async () => {
    await overwrite(store, `${NAME}/catalog.json`, nestedJson(100_000));
    const warnings: string[] = [];
    const { checkpoint, metered } = reader(warnings);
    const rebuilt = await checkpoint.catalog();
    expect(rebuilt.map((entry) => entry.commitId)).toEqual(rows.map((entry) => entry.commitId));
    expect(warnings.join("\n")).toMatch(/damaged.*rebuilt/);
    expect(metered.unboundedReads).toEqual([]);
    expect((await restore(checkpoint)).writeCount).toBe(3);
  });
});
