import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidKeyError, openStore, StoreConfigError } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FsApi, FsStore, memoryVolume } from "../src/index.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => Buffer.from(data).toString();

describe("FsStore specifics", () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "ckpt-fs-store-"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("never lists its temp and lock files, and refuses keys that could name them", async () => {
    const root = join(base, "reserved");
    const store = new FsStore({ root });
    await store.put("a/real", bytes("x"));
    await writeFile(join(root, "a", ".ckpt-tmp-0123456789abcdef"), "partial");
    await writeFile(join(root, "a", ".ckpt-lock-deadbeef"), "{}");
    await mkdir(join(root, ".ckpt-tmp-dir"));
    await writeFile(join(root, ".ckpt-tmp-dir", "x"), "x");
    expect((await store.list("")).items.map((item) => item.key)).toEqual(["a/real"]);
    expect((await store.list(".ckpt-")).items).toEqual([]);
    await expect(store.put("a/.ckpt-tmp-x", bytes("x"))).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.get(".ckpt-lock-deadbeef/x")).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it("prunes folders emptied by delete", async () => {
    const root = join(base, "prune");
    const store = new FsStore({ root });
    await store.put("deep/er/still/key", bytes("x"));
    await store.put("keep/key", bytes("x"));
    await store.delete(["deep/er/still/key"]);
    expect(await readdir(root)).toEqual(["keep"]);
  });

  it("a key cannot be both an object and a folder: E_KEY_CONFLICT names the key", async () => {
    const store = new FsStore({ root: join(base, "conflict") });
    await store.put("file", bytes("x"));
    await expect(store.put("file/child", bytes("y"))).rejects.toMatchObject({
      code: "E_KEY_CONFLICT",
      key: "file/child",
    });
    await store.put("folder/child", bytes("y"));
    await expect(store.put("folder", bytes("z"))).rejects.toMatchObject({
      code: "E_KEY_CONFLICT",
      key: "folder",
    });
    expect(text((await store.get("folder/child")).bytes)).toBe("y");
    expect(await store.head("file/child")).toBeUndefined();
  });

  it("the pageSize option bounds list pages", async () => {
    const store = new FsStore({ root: join(base, "pages"), pageSize: 2 });
    for (const key of ["a", "b", "c", "d", "e"]) await store.put(key, bytes(key));
    const first = await store.list("", { limit: 100 });
    expect(first.items.map((item) => item.key)).toEqual(["a", "b"]);
    const second = await store.list("", { cursor: first.cursor });
    expect(second.items.map((item) => item.key)).toEqual(["c", "d"]);
    await expect(store.list("", { cursor: "not a cursor!" })).rejects.toMatchObject({ code: "E_CURSOR" });
  });

  it("retries EMFILE/ENFILE instead of failing", async () => {
    const inner = memoryVolume("emfile");
    let failures = 0;
    const fs: FsApi = {
      ...inner,
      open: async (...args: Parameters<FsApi["open"]>) => {
        if (failures < 6) {
          failures++;
          throw Object.assign(new Error("too many open files"), { code: failures % 2 ? "EMFILE" : "ENFILE" });
        }
        return inner.open(...args);
      },
    } as FsApi;
    const store = new FsStore({ root: "/", fs, url: "memory://emfile" });
    await store.put("k", bytes("v"));
    failures = 0;
    expect(text((await store.get("k")).bytes)).toBe("v");
    expect(failures).toBe(6);
  });

  it("validates options and names the bad one", () => {
    expect(() => new FsStore({ root: "relative/path" })).toThrow(/"root".*absolute/);
    expect(() => new FsStore({ root: "/x", pageSize: 0 })).toThrow(/"pageSize"/);
    expect(() => new FsStore({ root: "/x", lockStaleMs: -1 })).toThrow(/"lockStaleMs"/);
    expect(() => new FsStore({ root: "/x", fs: {} as FsApi })).toThrow(/"fs"/);
    expect(() => new FsStore({ root: "/x", nope: 1 } as never)).toThrow(StoreConfigError);
  });

  it("openStore opens file: URLs, plain paths and memory: URLs", async () => {
    const root = join(base, "opened");
    const byPath = await openStore(root);
    expect(byPath).toBeInstanceOf(FsStore);
    await byPath.put("k", bytes("disk"));
    const byUrl = await openStore(`file://${root}`);
    expect(text((await byUrl.get("k")).bytes)).toBe("disk");
    expect(byUrl.url).toBe(`file://${root}`);

    const one = await openStore("memory://shared-name");
    const two = await openStore("memory://shared-name");
    await one.put("k", bytes("memory"));
    expect(text((await two.get("k")).bytes)).toBe("memory");
    expect(await (await openStore("memory://other-name")).head("k")).toBeUndefined();

    const sub = await openStore("memory://shared-name/sub/folder");
    expect(sub.url).toBe("memory://shared-name/sub/folder");
    expect((await sub.list("")).items).toEqual([]);
    await expect(openStore("memory:")).rejects.toBeInstanceOf(StoreConfigError);
    await expect(openStore("file://remote-host/x")).rejects.toBeInstanceOf(StoreConfigError);
  });
});
