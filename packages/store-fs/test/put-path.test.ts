import * as nodeFs from "node:fs/promises";
import { mkdtemp, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FsApi, type FsFileHandle, FsStore, memoryVolume } from "../src/index.js";

const pattern = (size: number, seed: number) =>
  Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 255);

/** memfs whose handles record their calls, optionally capping how much one `writev` takes. */
function recordingVolume(name: string, options: { writevCap?: number; inner?: FsApi } = {}) {
  const inner = options.inner ?? memoryVolume(name);
  const events: string[] = [];
  const wrap = (handle: FsFileHandle, path: string): FsFileHandle =>
    new Proxy(handle, {
      get(target, property) {
        if (property === "writev" && options.writevCap !== undefined) {
          const cap = options.writevCap;
          return async (buffers: Uint8Array[], position?: number | null) => {
            events.push(`writev ${path}`);
            const taken: Uint8Array[] = [];
            let room = cap;
            for (const buffer of buffers) {
              if (room === 0) break;
              taken.push(buffer.subarray(0, Math.min(room, buffer.byteLength)));
              room -= taken.at(-1)!.byteLength;
            }
            return target.writev!(taken, position);
          };
        }
        if (property === "write")
          return async (buffer: Uint8Array, offset?: number, length?: number, position?: number | null) => {
            events.push(`write ${length ?? buffer.byteLength}`);
            return target.write(buffer, offset, length, position);
          };
        if (property === "writev" && options.writevCap === undefined)
          return async (buffers: Uint8Array[], position?: number | null) => {
            events.push(`write ${buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0)}`);
            return target.writev!(buffers, position);
          };
        if (property === "sync")
          return async () => {
            events.push(`sync start ${path}`);
            await target.sync();
            events.push(`sync end ${path}`);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const fs = {
    ...inner,
    open: async (path: string, flags: string, mode?: number) =>
      wrap(await inner.open(path, flags, mode), path),
    rename: async (from: string, to: string) => {
      await inner.rename(from, to);
      events.push(`rename ${to}`);
    },
    mkdir: async (path: string, options: { recursive: true }) => {
      events.push(`mkdir ${path}`);
      return inner.mkdir(path, options);
    },
    symlink: async (target: string, path: string) => {
      await inner.symlink!(target, path);
      events.push(`symlink ${path}`);
    },
    link: async (from: string, to: string) => {
      await inner.link(from, to);
      events.push(`link ${to}`);
    },
  } as FsApi;
  return { fs, events };
}

describe("FsStore put path", () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "ckpt-put-path-"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("a chunk list written through short writev calls arrives whole", async () => {
    const { fs, events } = recordingVolume("short-writev", { writevCap: 1000 });
    const store = new FsStore({ root: "/", fs, url: "memory://short-writev" });
    const chunks = [pattern(100, 1), pattern(5000, 2), new Uint8Array(0), pattern(3001, 3)];
    await store.put("k", chunks);
    const { bytes } = await store.get("k");
    expect(Buffer.from(bytes).equals(Buffer.concat(chunks))).toBe(true);
    expect(events.filter((event) => event.startsWith("writev")).length).toBe(9);
  });

  it("the pieces of a large body are written at their own positions, a few at once", async () => {
    const inner = memoryVolume("pieces-in-flight");
    const writes: { position: number; length: number }[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    // Each write answers a moment later, as the thread pool does, so overlapping calls show.
    const slowed = async <T>(task: () => Promise<T>) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      try {
        return await task();
      } finally {
        inFlight--;
      }
    };
    const fs: FsApi = {
      ...inner,
      wholeWrites: false,
      open: async (path, flags, mode) => {
        const handle = await inner.open(path, flags, mode);
        return new Proxy(handle, {
          get(target, property) {
            if (property === "write")
              return (buffer: Uint8Array, offset?: number, length?: number, position?: number | null) => {
                writes.push({ position: position ?? -1, length: length ?? buffer.byteLength });
                return slowed(() => target.write(buffer, offset, length, position));
              };
            if (property === "writev")
              return (buffers: Uint8Array[], position?: number | null) => {
                const length = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
                writes.push({ position: position ?? -1, length });
                return slowed(() => target.writev!(buffers, position));
              };
            const value = Reflect.get(target, property, target);
            return typeof value === "function" ? value.bind(target) : value;
          },
        });
      },
    };
    const store = new FsStore({ root: "/", fs, url: "memory://pieces-in-flight" });
    const header = pattern(128, 3);
    const data = pattern(6 * 1024 * 1024 + 5, 4);
    await store.put("big", [header, data]);
    expect(Buffer.from((await store.get("big")).bytes).equals(Buffer.concat([header, data]))).toBe(true);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(4);
    // Every byte once: the pieces tile the file from 0 on, each at its own position.
    const sorted = [...writes].sort((a, b) => a.position - b.position);
    let next = 0;
    for (const { position, length } of sorted) {
      expect(position).toBe(next);
      next += length;
    }
    expect(next).toBe(128 + data.byteLength);

    // A streamed body's chunks continue where the previous one ended.
    writes.length = 0;
    async function* chunks() {
      yield pattern(3 * 1024 * 1024, 5);
      yield pattern(1000, 6);
      yield pattern(2 * 1024 * 1024 + 1, 7);
    }
    await store.put("streamed", chunks());
    const streamed = Buffer.concat([
      pattern(3 * 1024 * 1024, 5),
      pattern(1000, 6),
      pattern(2 * 1024 * 1024 + 1, 7),
    ]);
    expect(Buffer.from((await store.get("streamed")).bytes).equals(streamed)).toBe(true);
  });

  it("a large body goes out in writes of at most 512 KiB, its header joined to the first", async () => {
    const { fs, events } = recordingVolume("pieces");
    // As on disk: memfs volumes ask for whole writes (checked below).
    const store = new FsStore({ root: "/", fs: { ...fs, wholeWrites: false }, url: "memory://pieces" });
    const header = pattern(128, 1);
    const data = pattern(5 * 1024 * 1024 + 7, 2);
    await store.put("big", [header, data]);
    const sizes = events.filter((event) => event.startsWith("write ")).map((event) => Number(event.slice(6)));
    expect(sizes).toEqual([...Array(10).fill(512 * 1024), 7 + 128]);
    expect(Buffer.from((await store.get("big")).bytes).equals(Buffer.concat([header, data]))).toBe(true);

    events.length = 0;
    await new FsStore({ root: "/", fs, url: "memory://pieces" }).put("whole", [header, data]);
    const whole = events.filter((event) => event.startsWith("write ")).map((event) => Number(event.slice(6)));
    expect(whole).toEqual([128 + data.byteLength]);
  });

  it("puts finishing together share folder fsyncs, each after its own link or rename", async () => {
    const { fs, events } = recordingVolume("folder-syncs");
    const store = new FsStore({ root: "/", fs, url: "memory://folder-syncs" });
    await store.put("dir/first", pattern(10, 0));
    events.length = 0;
    const keys = Array.from({ length: 8 }, (_, i) => `dir/o${i}`);
    await Promise.all(
      keys.map(async (key) => {
        await store.put(key, pattern(4096, key.length));
        events.push(`resolved /${key}`);
      }),
    );
    const folderSyncs = events.filter((event) => event === "sync start /dir").length;
    expect(folderSyncs).toBeGreaterThan(0);
    expect(folderSyncs).toBeLessThan(keys.length);
    for (const key of keys) {
      const renamed = events.findIndex((event) => event === `rename /${key}` || event === `link /${key}`);
      const resolved = events.indexOf(`resolved /${key}`);
      const started = events.indexOf("sync start /dir", renamed);
      expect(renamed).toBeGreaterThanOrEqual(0);
      expect(started).toBeGreaterThan(renamed);
      expect(events.indexOf("sync end /dir", started)).toBeLessThan(resolved);
    }
  });

  it("a put into a free key links its temp file to it without a lock; a put over an object takes the lock", async () => {
    const { fs, events } = recordingVolume("free-key");
    const store = new FsStore({ root: "/", fs, url: "memory://free-key" });
    const created = await store.put("dir/k", pattern(10, 1), { ifNoneMatch: "*" });
    const plain = await store.put("dir/plain", pattern(10, 2));
    expect(events.filter((event) => /^(symlink|link|rename) /.test(event))).toEqual([
      "link /dir/k",
      "link /dir/plain",
    ]);
    await expect(store.put("dir/k", pattern(10, 3), { ifNoneMatch: "*" })).rejects.toMatchObject({
      code: "E_PRECONDITION_FAILED",
    });
    events.length = 0;
    const replaced = await store.put("dir/plain", pattern(10, 4));
    expect(events.filter((event) => /^(symlink|link|rename) /.test(event))).toEqual([
      expect.stringMatching(/^symlink \/dir\/\.ckpt-lock-/),
      "rename /dir/plain",
    ]);
    expect(replaced.version).not.toBe(plain.version);
    expect((await store.head("dir/k"))?.version).toBe(created.version);
    expect(Buffer.from((await store.get("dir/k")).bytes)).toEqual(Buffer.from(pattern(10, 1)));
    expect(
      await fs
        .readdir("/dir", { withFileTypes: true })
        .then((entries) => entries.map((e) => String(e.name)).sort()),
    ).toEqual(["k", "plain"]);
  });

  it("a put that finds a key free while its object is being deleted still gets a later mtime", async () => {
    const root = join(base, "deleting");
    const store = new FsStore({ root });
    await store.put("k", pattern(64, 1));
    const ahead = new Date(Date.now() + 300);
    await utimes(join(root, "k"), ahead, ahead);
    const old = (await store.head("k"))!;
    const deleting = store.delete(["k"]);
    while ((await store.head("k")) !== undefined) await new Promise((resolve) => setTimeout(resolve, 1));
    const again = await store.put("k", pattern(64, 1), { ifNoneMatch: "*" });
    await deleting;
    expect(again.version).not.toBe(old.version);
    expect(again.lastModified.getTime()).toBeGreaterThan(old.lastModified.getTime());
  });

  for (const where of ["disk", "memfs"] as const)
    it(`creating and replacing puts and a delete racing on a free key (${where}): the object left is the newest by mtime`, async () => {
      const store =
        where === "disk"
          ? new FsStore({ root: join(base, "racing-creates") })
          : new FsStore({ root: "/", fs: memoryVolume("racing-creates"), url: "memory://racing-creates" });
      for (let round = 0; round < 40; round++) {
        const key = `r/${round}`;
        const outcomes = await Promise.allSettled([
          store.put(key, pattern(32, 1), { ifNoneMatch: "*" }),
          store.put(key, pattern(32, 2)),
          store.put(key, pattern(32, 3)),
          store.put(key, pattern(32, 4), { ifNoneMatch: "*" }),
          store.delete([key]).then(() => undefined),
          store.put(key, pattern(32, 5)),
        ]);
        const infos = outcomes.flatMap((outcome) =>
          outcome.status === "fulfilled" && outcome.value !== undefined ? [outcome.value] : [],
        );
        for (const outcome of outcomes)
          if (outcome.status === "rejected")
            expect(outcome.reason).toMatchObject({ code: "E_PRECONDITION_FAILED" });
        expect(new Set(infos.map((info) => info.version)).size, `round ${round}`).toBe(infos.length);
        const last = await store.head(key);
        if (last === undefined) continue;
        const others = infos.filter((info) => info.version !== last.version);
        expect(others, `round ${round}`).toHaveLength(infos.length - 1);
        // Every other put's object was replaced or deleted before the last one: that has a later mtime.
        for (const other of others)
          expect(last.lastModified.getTime(), `round ${round}`).toBeGreaterThan(other.lastModified.getTime());
      }
    });

  it("a locked put that finds its key freed takes it only if no lock-free create took it first, and gets a later mtime", async () => {
    const inner = memoryVolume("freed-under-lock");
    let armed = false;
    let interloper: Promise<{ version: string; lastModified: Date }> | undefined;
    const fs = {
      ...inner,
      symlink: async (target: string, path: string) => {
        await inner.symlink!(target, path);
        // The replacing put holds the lock: its object goes (as a finished delete would have).
        if (path.startsWith("/d/.ckpt-lock-")) {
          await inner.unlink("/d/k");
          armed = true;
        }
      },
      stat: async (path: string, options: { bigint: true }) => {
        try {
          return await inner.stat(path, options);
        } finally {
          if (armed && path === "/d/k") {
            // Right after the locked put saw the key free, a lock-free create takes it.
            armed = false;
            interloper = store.put("d/k", pattern(16, 3), { ifNoneMatch: "*" });
            await interloper;
          }
        }
      },
    } as FsApi;
    const store = new FsStore({ root: "/", fs, url: "memory://freed-under-lock" });
    await store.put("d/k", pattern(16, 1));
    const replacing = await store.put("d/k", pattern(16, 2));
    const created = await interloper!;
    expect(Buffer.from((await store.get("d/k")).bytes)).toEqual(Buffer.from(pattern(16, 2)));
    expect(replacing.version).not.toBe(created.version);
    expect(replacing.lastModified.getTime()).toBeGreaterThan(created.lastModified.getTime());
  });

  it("on a filesystem without hard links every put takes the lock, and ifNoneMatch stays exclusive", async () => {
    const { fs, events } = recordingVolume("no-hard-links");
    const refusing = {
      ...fs,
      link: async () => {
        throw Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" });
      },
    } as FsApi;
    const store = new FsStore({ root: "/", fs: refusing, url: "memory://no-hard-links" });
    const racers = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => store.put("dir/once", pattern(10, i), { ifNoneMatch: "*" })),
    );
    expect(racers.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of racers)
      if (result.status === "rejected")
        expect(result.reason).toMatchObject({ code: "E_PRECONDITION_FAILED" });
    await store.put("dir/other", pattern(10, 7));
    expect(Buffer.from((await store.get("dir/other")).bytes)).toEqual(Buffer.from(pattern(10, 7)));
    expect(
      events.filter((event) => event.startsWith("symlink /dir/.ckpt-lock-")).length,
    ).toBeGreaterThanOrEqual(2);
    expect(
      await fs
        .readdir("/dir", { withFileTypes: true })
        .then((entries) => entries.map((e) => String(e.name)).sort()),
    ).toEqual(["once", "other"]);
  });

  it("takes its key lock as one symlink holding the record, and leaves no lock behind", async () => {
    const { fs, events } = recordingVolume("symlink-lock");
    const store = new FsStore({ root: "/", fs, url: "memory://symlink-lock" });
    await store.put("dir/k", pattern(10, 1));
    events.length = 0;
    await store.put("dir/k", pattern(10, 2));
    const locks = events.filter((event) => event.startsWith("symlink /dir/.ckpt-lock-"));
    expect(locks).toHaveLength(1);
    expect(events.filter((event) => event.startsWith("link "))).toEqual([]);
    expect(
      await fs.readdir("/dir", { withFileTypes: true }).then((entries) => entries.map((e) => String(e.name))),
    ).toEqual(["k"]);
  });

  it("without symlinks (a custom fs lacking them) locks are staged files, still exclusive", async () => {
    const { fs, events } = recordingVolume("no-symlinks");
    const { symlink: _symlink, readlink: _readlink, ...plain } = fs;
    const store = new FsStore({ root: "/", fs: plain, url: "memory://no-symlinks" });
    const { version } = await store.put("dir/once", pattern(10, 9));
    const racers = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => store.put("dir/once", pattern(10, i), { ifMatch: version })),
    );
    expect(racers.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(events.filter((event) => event.startsWith("symlink"))).toEqual([]);
    expect(events.filter((event) => event.startsWith("link /dir/.ckpt-lock-")).length).toBeGreaterThan(0);
  });

  it("puts racing into a new folder chain share one mkdir, and each waits for the new folders to be synced", async () => {
    // On disk: memfs's mkdir returns the deepest folder, not the first one it made as Node's does.
    const { fs, events } = recordingVolume("new-folders", { inner: nodeFs as unknown as FsApi });
    const root = join(base, "new-folders");
    const store = new FsStore({ root, fs });
    const keys = Array.from({ length: 5 }, (_, i) => `a/b/c/o${i}`);
    await Promise.all(
      keys.map(async (key) => {
        await store.put(key, pattern(100, key.length));
        events.push(`resolved /${key}`);
      }),
    );
    expect(events.filter((event) => event.startsWith("mkdir"))).toEqual([`mkdir ${root}/a/b/c`]);
    // Made from the store's root: the entries of a/b/c, a/b, a, the root and its parent must be durable.
    for (const key of keys) {
      const resolved = events.indexOf(`resolved /${key}`);
      for (const folder of [`${root}/a/b/c`, `${root}/a/b`, `${root}/a`, root, base]) {
        const end = events.indexOf(`sync end ${folder}`);
        expect(end, `${key} resolved before ${folder} was synced`).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThan(resolved);
      }
    }
    // The chain's parents are synced once for all five puts, not once per put.
    for (const parent of [`${root}/a/b`, `${root}/a`, root, base])
      expect(events.filter((event) => event === `sync start ${parent}`)).toHaveLength(1);
  });

  it("a put over an object whose mtime is ahead of the clock still gets a later mtime and a new version", async () => {
    const root = join(base, "ahead");
    const store = new FsStore({ root });
    const first = await store.put("k", pattern(64, 1));
    const ahead = new Date(Date.now() + 200);
    await utimes(join(root, "k"), ahead, ahead);
    const before = await store.head("k");
    const second = await store.put("k", pattern(64, 1));
    expect(second.version).not.toBe(before!.version);
    expect(second.version).not.toBe(first.version);
    // Compared with the mtime as stored (utimes rounds through float seconds).
    expect(before!.lastModified.getTime()).toBeGreaterThanOrEqual(ahead.getTime() - 1);
    expect(second.lastModified.getTime()).toBeGreaterThan(before!.lastModified.getTime());
    expect((await stat(join(root, "k"))).mtimeMs).toBeGreaterThan(before!.lastModified.getTime() + 0.5);
  });

  it("durable: false (or ?durable=false in the URL) writes without any fsync, and reads back the same", async () => {
    const { fs, events } = recordingVolume("no-fsync");
    const store = new FsStore({ root: "/", fs, url: "memory://no-fsync", durable: false });
    expect(store.durable).toBe(false);
    const body = pattern(70_000, 4);
    await Promise.all([store.put("new/folder/a", body), store.put("new/folder/b", body)]);
    await store.put("new/folder/a", pattern(10, 5), { ifNoneMatch: "*" }).catch(() => undefined);
    expect(events.filter((event) => event.startsWith("sync")).length).toBe(0);
    expect(Buffer.from((await store.get("new/folder/b")).bytes).equals(body)).toBe(true);

    events.length = 0;
    await new FsStore({ root: "/", fs, url: "memory://no-fsync" }).put("new/folder/c", body);
    expect(events.filter((event) => event.startsWith("sync start")).length).toBeGreaterThan(0);

    const fromUrl = FsStore.fromUrl(`file://${join(base, "scratch")}?durable=false`);
    expect(fromUrl.durable).toBe(false);
    expect(fromUrl.url).toBe(`file://${join(base, "scratch")}`);
    await fromUrl.put("k", body);
    expect(Buffer.from((await fromUrl.get("k")).bytes).equals(body)).toBe(true);
    expect(FsStore.fromUrl(`file://${join(base, "scratch")}?durable=true`).durable).toBe(true);
    expect(FsStore.fromUrl(`file://${join(base, "scratch")}`).durable).toBe(true);
    expect(FsStore.fromUrl("memory://no-fsync-url?durable=false").durable).toBe(false);
    expect(FsStore.fromUrl("memory://no-fsync-url?durable=false", { durable: true }).durable).toBe(true);
  });

  it("a store URL with an unknown parameter or a durable that is not true/false is a StoreConfigError naming it", () => {
    expect(() => FsStore.fromUrl(`file://${base}?fsync=no`)).toThrow(
      expect.objectContaining({ code: "E_STORE_CONFIG", message: expect.stringContaining('"fsync"') }),
    );
    expect(() => FsStore.fromUrl(`file://${base}?durable=0`)).toThrow(
      expect.objectContaining({
        code: "E_STORE_CONFIG",
        message: expect.stringContaining('"durable" must be true or false'),
      }),
    );
  });
});
