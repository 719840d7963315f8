import * as nodeFs from "node:fs/promises";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FsApi, type FsFileHandle, FsStore, memoryVolume } from "../src/index.js";
import { exited, nextMessage, spawnWorker } from "./workers/spawn.js";

const MiB = 1024 * 1024;
const pattern = (size: number, seed: number) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 255;
  return bytes;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-recycle-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The names under `folder`, recursively, relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(folder.length + 1))
    .sort();
}

/** Whether two byte arrays are equal (without a diff of megabytes when they are not). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

const keptFiles = async (folder: string) =>
  (await filesUnder(folder)).filter((name) => name.split("/").at(-1)!.startsWith(".ckpt-tmp-"));

describe("FsStore keeps deleted objects' files for later puts (disk)", () => {
  it("the next large put overwrites the kept file: same inode, exact bytes, a shorter body truncates it", async () => {
    const root = join(dir, "reuse");
    const store = new FsStore({ root });
    await store.put("old/commit/a.npy", pattern(3 * MiB, 1));
    const { ino } = await stat(join(root, "old/commit/a.npy"), { bigint: true });
    await store.delete(["old/commit/a.npy"]);
    expect(await store.head("old/commit/a.npy")).toBeUndefined();
    expect((await store.list("old/")).items).toEqual([]);
    expect(await keptFiles(root)).toHaveLength(1);

    const body = pattern(2 * MiB + 17, 2);
    await store.put("new/commit/b.npy", body);
    const reused = await stat(join(root, "new/commit/b.npy"), { bigint: true });
    expect(reused.ino).toBe(ino);
    expect(Number(reused.size)).toBe(body.byteLength);
    expect(same((await store.get("new/commit/b.npy")).bytes, body)).toBe(true);
    // Nothing kept any more, and the deleted object's folders went with the file.
    expect(await filesUnder(root)).toEqual(["new/commit/b.npy"]);
    await store.close();
  });

  it("a read of an object deleted and overwritten meanwhile fails with E_NOT_FOUND, never returns mixed bytes", async () => {
    const root = join(dir, "read-race");
    // Disk, with the reads of one file held until the race has run.
    let hold: Promise<void> | undefined;
    const fs: FsApi = {
      ...(nodeFs as unknown as FsApi),
      open: async (path: string, flags: string, mode?: number) => {
        const handle = await (nodeFs as unknown as FsApi).open(path, flags, mode);
        if (!path.endsWith("k/first")) return handle;
        const read = handle.read.bind(handle);
        return Object.assign(handle, {
          read: async (...args: Parameters<FsFileHandle["read"]>) => {
            await hold;
            return read(...args);
          },
        });
      },
    };
    // A custom fs keeps nothing by default.
    const store = new FsStore({ root, fs, recycleBytes: 64 * MiB });
    const size = 24 * MiB;
    await store.put("k/first", pattern(size, 3));
    let raced = false;
    const read = store.get("k/first", {
      onChunk: () => {
        if (raced) return;
        raced = true;
        // The rest is read once the file was kept and overwritten.
        hold = (async () => {
          await store.delete(["k/first"]);
          await store.put("k/second", pattern(size, 4));
        })();
      },
    });
    const outcome = await read.then(
      (result) => `read ${result.bytes.byteLength} bytes, as put: ${same(result.bytes, pattern(size, 3))}`,
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ code: "E_NOT_FOUND", key: "k/first" });
    expect(raced).toBe(true);

    await store.put("s/first", pattern(size, 5));
    const { stream } = await store.getStream("s/first");
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await store.delete(["s/first"]);
    await store.put("s/second", pattern(size, 6));
    const rest = (async () => {
      for (;;) if ((await chunks.next()).done) return "read to the end";
    })().catch((error: unknown) => error);
    expect(await rest).toMatchObject({ code: "E_NOT_FOUND", key: "s/first" });
    expect(same((await store.get("k/second")).bytes, pattern(size, 4))).toBe(true);
    await store.close();
  });

  it("close() unlinks what is kept; so does recycleMs; recycleBytes bounds it, oldest out first; 0 keeps none", async () => {
    const root = join(dir, "bounds");
    const closing = new FsStore({ root });
    await closing.put("c/x", pattern(MiB, 1));
    await closing.delete(["c/x"]);
    expect(await keptFiles(root)).toHaveLength(1);
    await closing.close();
    expect(await filesUnder(root)).toEqual([]);

    const expiring = new FsStore({ root, recycleMs: 50 });
    await expiring.put("e/x", pattern(MiB, 1));
    await expiring.delete(["e/x"]);
    expect(await keptFiles(root)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await filesUnder(root)).toEqual([]);

    const bounded = new FsStore({ root, recycleBytes: 3 * MiB });
    for (const name of ["1", "2", "3"]) await bounded.put(`b/${name}`, pattern(MiB + 1, 1));
    const first = await stat(join(root, "b/1"), { bigint: true });
    for (const name of ["1", "2", "3"]) await bounded.delete([`b/${name}`]);
    // 3 × (1 MiB + 1) is over the bound: the oldest went.
    expect(await keptFiles(root)).toHaveLength(2);
    const inodes = await Promise.all(
      (await keptFiles(root)).map(async (name) => (await stat(join(root, name), { bigint: true })).ino),
    );
    expect(inodes).not.toContain(first.ino);
    await bounded.close();

    const none = new FsStore({ root, recycleBytes: 0 });
    await none.put("n/x", pattern(MiB, 1));
    await none.delete(["n/x"]);
    expect(await filesUnder(root)).toEqual([]);
  });

  it("keeps nothing that is small, and nothing for a store that has not put a large object (a CLI's gc)", async () => {
    const root = join(dir, "small");
    const writer = new FsStore({ root });
    await writer.put("w/small", pattern(MiB - 1, 1));
    await writer.put("w/large", pattern(MiB, 1));
    const deleter = new FsStore({ root });
    await deleter.delete(["w/large"]);
    await writer.delete(["w/small"]);
    expect(await filesUnder(root)).toEqual([]);
  });

  it("a process that exits without close() leaves nothing; one killed leaves a temp file that sweep removes", async () => {
    const root = join(dir, "exit");
    const exiting = spawnWorker("./recycler.ts", [root, "exit"]);
    await nextMessage(exiting, () => true);
    await exited(exiting);
    expect(exiting.exitCode).toBe(0);
    expect(await filesUnder(root)).toEqual([]);

    const killed = spawnWorker("./recycler.ts", [root, "wait"]);
    await nextMessage(killed, () => true);
    expect(await keptFiles(root)).toHaveLength(1);
    killed.kill("SIGKILL");
    await exited(killed);
    const store = new FsStore({ root });
    const swept = await store.sweep("kept/", { olderThan: 0 });
    // The kept file and the folder it was alone in.
    expect(swept).toEqual({ count: 2, bytes: 2 * MiB });
    expect(await filesUnder(root)).toEqual([]);
  });
});

describe("FsStore keeps deleted objects' files on memfs when asked to", () => {
  it("keeps none by default; with recycleBytes, overwrites a kept buffer in place and reads back exact bytes", async () => {
    const fs = memoryVolume("recycle-memfs");
    const plain = new FsStore({ root: "/p", fs });
    await plain.put("a/x", pattern(2 * MiB, 1));
    await plain.delete(["a/x"]);
    expect(await fs.readdir("/p", { withFileTypes: true })).toEqual([]);

    const store = new FsStore({ root: "/r", fs, recycleBytes: 8 * MiB });
    await store.put("a/x", pattern(2 * MiB, 1));
    await store.delete(["a/x"]);
    expect((await fs.readdir("/r/a", { withFileTypes: true })).map((entry) => String(entry.name))).toEqual([
      expect.stringMatching(/^\.ckpt-tmp-/),
    ]);
    const body = pattern(MiB + 3, 2);
    await store.put("b/y", body);
    expect(same((await store.get("b/y")).bytes, body)).toBe(true);
    expect((await store.list("")).items.map((item) => item.key)).toEqual(["b/y"]);
    await store.close();
  });
});
