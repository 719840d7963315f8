// FsStore.sweep: what killed writers leave (temp files, locks, empty folders) goes; what a live
// writer may still need stays, whatever the grace period.
import { lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";
import { lockFileName, ownedFileName } from "../src/lock.js";
import { deadPid, exited, nextMessage, spawnWorker } from "./workers/spawn.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Every `.ckpt-` file under `root`, and every empty folder (relative paths). */
async function leftovers(root: string): Promise<{ files: string[]; emptyFolders: string[] }> {
  const files: string[] = [];
  const emptyFolders: string[] = [];
  for (const entry of await readdir(root, { recursive: true })) {
    if (entry.split("/").at(-1)!.startsWith(".ckpt-")) files.push(entry);
    else if ((await stat(join(root, entry))).isDirectory() && (await readdir(join(root, entry))).length === 0)
      emptyFolders.push(entry);
  }
  return { files: files.sort(), emptyFolders: emptyFolders.sort() };
}

async function age(path: string, ms: number): Promise<void> {
  const then = (Date.now() - ms) / 1000;
  await utimes(path, then, then);
}

describe("FsStore.sweep (real disk)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-fs-sweep-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("removes the temp file of a writer killed mid-put, and the folders it leaves empty; dryRun only counts", async () => {
    const dir = join(root, "killed");
    const writer = spawnWorker("./writer.ts", [dir]);
    await nextMessage<{ putting: number }>(writer, (message) => message.putting === 1);
    // Kill it once the temp file of a 32 MiB put is on disk.
    while ((await leftovers(dir).catch(() => ({ files: [] }))).files.length === 0)
      await new Promise((resolve) => setTimeout(resolve, 5));
    writer.kill("SIGKILL");
    await exited(writer);
    const before = await leftovers(dir);
    expect(
      before.files.some((file) => /\.ckpt-tmp-\d+\.[0-9a-f]{8}\./.test(file)),
      before.files.join(),
    ).toBe(true);

    let size = 0;
    for (const file of before.files) size += (await lstat(join(dir, file))).size;
    const store = new FsStore({ root: dir, lockStaleMs: 3_600_000 });
    const objects = (await store.list("")).items.map((item) => item.key);
    const planned = await store.sweep("", { olderThan: 0, dryRun: true });
    expect(await leftovers(dir)).toEqual(before);
    const swept = await store.sweep("", { olderThan: 0 });
    expect(swept).toEqual(planned);
    // The temp files, plus the folders they were alone in.
    expect(swept.count).toBeGreaterThanOrEqual(before.files.length);
    expect(swept.bytes).toBe(size);
    expect(await leftovers(dir)).toEqual({ files: [], emptyFolders: [] });
    expect((await store.list("")).items.map((item) => item.key)).toEqual(objects);
  });

  it("keeps a lock whose holder is alive even with no grace period, and removes it once the holder is killed", async () => {
    const dir = join(root, "held");
    const store = new FsStore({ root: dir, lockStaleMs: 3_600_000 });
    await store.put("k/key", bytes("before"));
    const holder = spawnWorker("./lock-holder.ts", [dir, "k/key"]);
    await nextMessage(holder, (message) => message === "locked");
    const lock = `k/${lockFileName("key")}`;
    expect(await store.sweep("", { olderThan: 0 })).toEqual({ count: 0, bytes: 0 });
    expect((await leftovers(dir)).files).toEqual([lock]);

    holder.kill("SIGKILL");
    await exited(holder);
    const swept = await store.sweep("", { olderThan: 0 });
    expect(swept.count).toBe(1);
    expect((await leftovers(dir)).files).toEqual([]);
    expect(Buffer.from((await store.get("k/key")).bytes).toString()).toBe("before");
  });

  it("judges temp files and locks by their writer: this host's live and dead pids, other hosts by age", async () => {
    const dir = join(root, "owners");
    await mkdir(join(dir, "a"), { recursive: true });
    const dead = await deadPid();
    const mine = ownedFileName("tmp");
    const deadOne = mine.replace(`tmp-${process.pid}.`, `tmp-${dead}.`);
    const remoteFresh = mine.replace(/\.[0-9a-f]{8}\./, ".00000000.");
    const remoteOld = remoteFresh.replace(/[0-9a-f]{16}$/, "0".repeat(16));
    const oldFormat = ".ckpt-tmp-0123456789abcdef";
    for (const name of [mine, deadOne, remoteFresh, remoteOld, oldFormat])
      await writeFile(join(dir, "a", name), "partial");
    await age(join(dir, "a", remoteOld), 120_000);
    await age(join(dir, "a", oldFormat), 120_000);
    const record = (pid: number, created: number, host = hostname()) =>
      JSON.stringify({ pid, host, created, key: "a/x", token: `t${pid}-${created}` });
    await symlink(record(dead, Date.now()), join(dir, "a", lockFileName("dead")));
    await symlink(record(1, Date.now(), "another-host"), join(dir, "a", lockFileName("remote")));
    await symlink(
      record(1, Date.now() - 120_000, "another-host"),
      join(dir, "a", lockFileName("remote-old")),
    );
    await writeFile(join(dir, "a", "object"), "kept");

    const store = new FsStore({ root: dir, lockStaleMs: 60_000 });
    const swept = await store.sweep("a/", { olderThan: 0 });
    expect(swept.count).toBe(5);
    expect((await readdir(join(dir, "a"))).sort()).toEqual(
      [mine, remoteFresh, lockFileName("remote"), "object"].sort(),
    );
    // A grace period keeps even what is dead until it is that old.
    await writeFile(join(dir, "a", deadOne), "partial");
    expect(await store.sweep("a/", { olderThan: 60_000 })).toEqual({ count: 0, bytes: 0 });
  });

  it("touches nothing outside the prefix, and never an object", async () => {
    const dir = join(root, "scoped");
    const store = new FsStore({ root: dir });
    await store.put("in/obj", bytes("1"));
    await store.put("out/obj", bytes("2"));
    const dead = await deadPid();
    const leftover = ownedFileName("tmp").replace(`tmp-${process.pid}.`, `tmp-${dead}.`);
    for (const folder of ["in", "out"]) await writeFile(join(dir, folder, leftover), "x");
    await mkdir(join(dir, "out", "empty"));
    await mkdir(join(dir, "in", "empty", "deeper"), { recursive: true });
    await age(join(dir, "in", "empty", "deeper"), 10_000);
    await age(join(dir, "in", "empty"), 10_000);
    // The two old empty folders go; the fresh temp file stays.
    expect(await store.sweep("in/", { olderThan: 5_000 })).toEqual({ count: 2, bytes: 0 });
    await age(join(dir, "in", leftover), 10_000);
    expect(await store.sweep("in/", { olderThan: 5_000 })).toEqual({ count: 1, bytes: 1 });
    expect((await leftovers(dir)).files).toEqual([`out/${leftover}`]);
    expect((await leftovers(dir)).emptyFolders).toEqual(["out/empty"]);
    expect((await store.list("")).items.map((item) => item.key)).toEqual(["in/obj", "out/obj"]);
  });
});

describe("FsStore.sweep (memfs)", () => {
  it("removes a dead writer's temp file and the empty folders around it", async () => {
    const store = FsStore.fromUrl("memory://sweep-test");
    await store.put("x/y/z", bytes("z"));
    await store.delete(["x/y/z"]);
    await store.put("x/keep", bytes("k"));
    const dead = await deadPid();
    const fs = (await import("../src/index.js")).memoryVolume("sweep-test");
    await fs.mkdir("/x/y/w", { recursive: true });
    const name = ownedFileName("tmp").replace(`tmp-${process.pid}.`, `tmp-${dead}.`);
    const handle = await fs.open(`/x/y/w/${name}`, "wx", 0o666);
    await handle.write(bytes("partial"));
    await handle.close();
    expect(await store.sweep("x/", { olderThan: 0 })).toEqual({ count: 3, bytes: 7 });
    expect(
      await fs.readdir("/x", { withFileTypes: true }).then((entries) => entries.map((e) => String(e.name))),
    ).toEqual(["keep"]);
  });
});
