import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";
import { lockFileName } from "../src/lock.js";
import { deadPid } from "./workers/spawn.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("FsStore key locks", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-fs-locks-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** A lock as FsStore takes it (a symlink whose target is the record), or as a file. */
  let form: "symlink" | "file" = "file";
  /**
   * Plants a lock on `key` beside an object stored there: a put into a free key links its file
   * without the lock, so only puts over an object (and deletes) meet it.
   */
  async function plantLock(key: string, content: string, ageMs = 0): Promise<string> {
    await new FsStore({ root }).put(key, bytes("old"));
    const parts = key.split("/");
    const dir = join(root, ...parts.slice(0, -1));
    await mkdir(dir, { recursive: true });
    const path = join(dir, lockFileName(parts.at(-1)!));
    if (form === "symlink" && content !== "") await symlink(content, path);
    else await writeFile(path, content);
    if (ageMs > 0) {
      const then = (Date.now() - ageMs) / 1000;
      await utimes(path, then, then);
    }
    return path;
  }

  const record = (pid: number, created: number, host = hostname()) =>
    JSON.stringify({ pid, host, created, key: "k", token: `t${pid}${created}` });

  for (const kind of ["file", "symlink"] as const) {
    it(`${kind} lock: a lock whose holder process is gone on this host is broken at once`, async () => {
      form = kind;
      const store = new FsStore({ root });
      await plantLock(`${kind}-dead/holder`, record(await deadPid(), Date.now()));
      await store.put(`${kind}-dead/holder`, bytes("x"));
      expect(await readdir(join(root, `${kind}-dead`))).toEqual(["holder"]);
    });

    it(`${kind} lock: a fresh lock of a live process makes a put wait until it is released`, async () => {
      form = kind;
      const store = new FsStore({ root });
      const lock = await plantLock(`${kind}-live/holder`, record(process.ppid, Date.now()));
      let settled = false;
      const put = store.put(`${kind}-live/holder`, bytes("x")).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await rm(lock);
      await put;
      expect(Buffer.from((await store.get(`${kind}-live/holder`)).bytes).toString()).toBe("x");
    });

    it(`${kind} lock: a lock older than lockStaleMs is broken even if its holder is alive or on another host`, async () => {
      form = kind;
      const store = new FsStore({ root, lockStaleMs: 1000 });
      await plantLock(`${kind}-old/live`, record(process.ppid, Date.now() - 5000));
      await store.put(`${kind}-old/live`, bytes("x"));
      await plantLock(`${kind}-old/remote`, record(1, Date.now() - 5000, "another-host"));
      await store.put(`${kind}-old/remote`, bytes("x"));
      // Left empty by a crash between create and write: judged by the file's age.
      await plantLock(`${kind}-old/empty`, "", 5000);
      await store.put(`${kind}-old/empty`, bytes("x"));
      expect(await readdir(join(root, `${kind}-old`))).toEqual(["empty", "live", "remote"]);
    });
  }

  it("an aborted wait for a lock rejects with E_ABORTED and writes nothing", async () => {
    form = "symlink";
    const store = new FsStore({ root });
    await plantLock("wait/abort", record(process.ppid, Date.now()));
    const controller = new AbortController();
    const put = store.put("wait/abort", bytes("x"), { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(put).rejects.toMatchObject({ code: "E_ABORTED" });
    expect(Buffer.from((await store.get("wait/abort")).bytes).toString()).toBe("old");
    expect((await readdir(join(root, "wait"))).filter((name) => name.includes("tmp"))).toEqual([]);
  });
});
