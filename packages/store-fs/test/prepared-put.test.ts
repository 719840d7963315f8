/**
 * A prepared put (`FsStore.prepare`) writes and syncs the body out of sight; `publish()` makes it
 * the key's object with `put`'s preconditions and outcomes, `discard()` leaves nothing behind.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, PreconditionFailedError } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";

const text = (value: string) => new TextEncoder().encode(value);
const read = async (store: FsStore, key: string) => new TextDecoder().decode((await store.get(key)).bytes);

describe("FsStore prepared puts", () => {
  let base: string;
  let count = 0;
  const fresh = (durable = true) => new FsStore({ root: join(base, `s${count++}`), durable });
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "ckpt-prepared-"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  for (const durable of [true, false])
    it(`is invisible until published, then reads like a put (durable: ${durable})`, async () => {
      const store = fresh(durable);
      const prepared = await store.prepare("a/b/manifest.json", text("manifest"), { ifNoneMatch: "*" });
      await expect(store.get("a/b/manifest.json")).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.list("a/")).items).toEqual([]);
      const info = await prepared.publish();
      expect(await read(store, "a/b/manifest.json")).toBe("manifest");
      expect(await store.head("a/b/manifest.json")).toEqual(info);
      expect(await readdir(join(store.root, "a/b"))).toEqual(["manifest.json"]);
    });

  it("discard leaves no object and no temp file; publishing after it is refused", async () => {
    const store = fresh();
    await store.put("k/other", text("x"));
    const prepared = await store.prepare("k/gone", text("never"));
    await prepared.discard();
    await prepared.discard();
    await expect(store.head("k/gone")).resolves.toBeUndefined();
    expect(await readdir(join(store.root, "k"))).toEqual(["other"]);
    await expect(prepared.publish()).rejects.toMatchObject({ code: "E_INVALID_ARGUMENT" });
  });

  it("ifNoneMatch: a key taken between prepare and publish fails the publish, and the taker's object stays", async () => {
    const store = fresh();
    const prepared = await store.prepare("c/manifest.json", text("mine"), { ifNoneMatch: "*" });
    await store.put("c/manifest.json", text("theirs"), { ifNoneMatch: "*" });
    await expect(prepared.publish()).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await read(store, "c/manifest.json")).toBe("theirs");
    expect(await readdir(join(store.root, "c"))).toEqual(["manifest.json"]);
  });

  it("ifMatch: the version is checked when published, not when prepared", async () => {
    const store = fresh();
    const first = await store.put("catalog.json", text("v1"));
    const stale = await store.prepare("catalog.json", text("v2 from a stale read"), {
      ifMatch: first.version,
    });
    const second = await store.put("catalog.json", text("v2"), { ifMatch: first.version });
    await expect(stale.publish()).rejects.toBeInstanceOf(PreconditionFailedError);
    const current = await store.prepare("catalog.json", text("v3"), { ifMatch: second.version });
    const third = await current.publish();
    expect(await read(store, "catalog.json")).toBe("v3");
    expect(third.version).not.toBe(second.version);
    expect((await readdir(store.root)).sort()).toEqual(["catalog.json"]);
  });

  it("a prepared put whose temp file was swept meanwhile fails to publish with a StoreError, and the key stays free", async () => {
    const store = fresh();
    const prepared = await store.prepare("e/manifest.json", text("m"), { ifNoneMatch: "*" });
    for (const name of await readdir(join(store.root, "e"))) await rm(join(store.root, "e", name));
    await expect(prepared.publish()).rejects.toMatchObject({ code: "E_IO", key: "e/manifest.json" });
    await expect(store.head("e/manifest.json")).resolves.toBeUndefined();
    await store.put("e/manifest.json", text("m"), { ifNoneMatch: "*" });
    expect(await read(store, "e/manifest.json")).toBe("m");
  });

  it("an abort between prepare and publish publishes nothing", async () => {
    const store = fresh();
    const controller = new AbortController();
    const prepared = await store.prepare("d/x", text("x"), { signal: controller.signal });
    controller.abort();
    await expect(prepared.publish()).rejects.toMatchObject({ code: "E_ABORTED" });
    await expect(store.head("d/x")).resolves.toBeUndefined();
    expect(await readdir(join(store.root, "d"))).toEqual([]);
  });
});
