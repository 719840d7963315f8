import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";
import { lockFileName } from "../src/lock.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("FsStore key locks", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-fs-locks-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function plantLock(key: string, content: string, ageMs = 0): Promise<string> {
    const parts = key.split("/");
    const dir = join(root, ...parts.slice(0, -1));
    await mkdir(dir, { recursive: true });
    const path = join(dir, lockFileName(parts.at(-1)!));
    await writeFile(path, content);
    if (ageMs > 0) {
      const then = (Date.now() - ageMs) / 1000;
      await utimes(path, then, then);
    }
    return path;
  }

  const record = (pid: number, created: number, host = hostname()) =>
    JSON.stringify({ pid, host, created, key: "k", token: `t${pid}${created}` });

  it("a lock whose holder process is gone on this host is broken at once", async () => {
    const store = new FsStore({ root });
    await plantLock("dead/holder", record(await deadPid(), Date.now()));
    await store.put("dead/holder", bytes("x"), { ifNoneMatch: "*" });
    expect(await readdir(join(root, "dead"))).toEqual(["holder"]);
  });

  it("a fresh lock of a live process makes a put wait until it is released", async () => {
    const store = new FsStore({ root });
    const lock = await plantLock("live/holder", record(process.ppid, Date.now()));
    let settled = false;
    const put = store.put("live/holder", bytes("x"), { ifNoneMatch: "*" }).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    await rm(lock);
    await put;
    expect(Buffer.from((await store.get("live/holder")).bytes).toString()).toBe("x");
  });

  it("a lock older than lockStaleMs is broken even if its holder is alive or on another host", async () => {
    const store = new FsStore({ root, lockStaleMs: 1000 });
    await plantLock("old/live", record(process.ppid, Date.now() - 5000));
    await store.put("old/live", bytes("x"), { ifNoneMatch: "*" });
    await plantLock("old/remote", record(1, Date.now() - 5000, "another-host"));
    await store.put("old/remote", bytes("x"), { ifNoneMatch: "*" });
    // Left empty by a crash between create and write: judged by the file's age.
    await plantLock("old/empty", "", 5000);
    await store.put("old/empty", bytes("x"), { ifNoneMatch: "*" });
    expect(await readdir(join(root, "old"))).toEqual(["empty", "live", "remote"]);
  });

  it("an aborted wait for a lock rejects with E_ABORTED and writes nothing", async () => {
    const store = new FsStore({ root });
    await plantLock("wait/abort", record(process.ppid, Date.now()));
    const controller = new AbortController();
    const put = store.put("wait/abort", bytes("x"), { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(put).rejects.toMatchObject({ code: "E_ABORTED" });
    expect(await store.head("wait/abort")).toBeUndefined();
    expect((await readdir(join(root, "wait"))).filter((name) => name.includes("tmp"))).toEqual([]);
  });
});
