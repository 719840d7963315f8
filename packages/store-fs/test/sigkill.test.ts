import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listAllArray } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";
import { exited, nextMessage, spawnWorker } from "./workers/spawn.js";

const BIG_SIZE = 32 * 1024 * 1024;
const KEYS = ["big/obj-0", "big/obj-1", "big/obj-2", "small/counter"];
const ROUNDS = 6;

async function leftovers(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true }))
    if (entry.includes(".ckpt-")) found.push(entry);
  return found;
}

describe("FsStore survives a writer killed with SIGKILL mid-put (real disk)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-fs-sigkill-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it(`no partial object, no wedged key, no temp file listed (${ROUNDS} kills)`, async () => {
    const leftoverFiles = new Set<string>();
    let locksLeft = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const writer = spawnWorker("./writer.ts", [root]);
      // Kill during the 1st..3rd big put, at a varying point of it.
      const target = 1 + (round % 3);
      await nextMessage<{ putting: number }>(writer, (message) => message.putting === target);
      await new Promise((resolve) => setTimeout(resolve, (round * 17) % 60));
      writer.kill("SIGKILL");
      await exited(writer);
      expect(writer.signalCode).toBe("SIGKILL");

      // Locks never go stale by age here: a lock the killed writer held must be recognised by its pid.
      const store = new FsStore({ root, lockStaleMs: 3_600_000 });
      const listed = (await listAllArray(store, "")).map((info) => info.key);
      for (const key of listed) expect(KEYS, `listed key ${key}`).toContain(key);
      for (const file of await leftovers(root)) leftoverFiles.add(file);
      locksLeft += (await leftovers(root)).filter((file) => /\.ckpt-lock-[0-9a-f]+$/.test(file)).length;

      for (const key of KEYS.filter((k) => k.startsWith("big/") && listed.includes(k))) {
        const { bytes } = await store.get(key);
        expect(bytes.byteLength, key).toBe(BIG_SIZE);
        const whole = Buffer.alloc(BIG_SIZE, bytes[0]!);
        expect(whole.equals(bytes), `${key} is one whole put`).toBe(true);
      }
      if (listed.includes("small/counter"))
        expect(Buffer.from((await store.get("small/counter")).bytes).toString()).toMatch(/^\d+$/);

      // Every key takes a conditional put again: a lock the writer held dies with it.
      for (const key of KEYS) {
        const head = await store.head(key);
        await store.put(
          key,
          new TextEncoder().encode(`after round ${round}`),
          head ? { ifMatch: head.version } : { ifNoneMatch: "*" },
        );
        await store.delete([key]);
      }
    }
    // Informational: how many temp or lock files the kills left on disk (never listed).
    console.log(
      `SIGKILL test: ${leftoverFiles.size} temp/stage/lock files left behind over ${ROUNDS} kills, ` +
        `${locksLeft} of them locks held by the killed writer`,
    );
    // A sweep with no grace period leaves only objects: every writer is dead.
    const store = new FsStore({ root, lockStaleMs: 3_600_000 });
    const listed = (await listAllArray(store, "")).map((info) => info.key);
    const left = await leftovers(root);
    const swept = await store.sweep("", { olderThan: 0 });
    expect(swept.count).toBeGreaterThanOrEqual(left.length);
    expect(await leftovers(root)).toEqual([]);
    expect((await listAllArray(store, "")).map((info) => info.key)).toEqual(listed);
  });

  it("a lock held by a writer killed inside its critical section does not wedge the key", async () => {
    const store = new FsStore({ root, lockStaleMs: 3_600_000 });
    const before = await store.put("held/key", new TextEncoder().encode("before"));
    const holder = spawnWorker("./lock-holder.ts", [root, "held/key"]);
    await nextMessage(holder, (message) => message === "locked");
    expect((await leftovers(root)).some((file) => file.startsWith("held/.ckpt-lock-"))).toBe(true);
    holder.kill("SIGKILL");
    await exited(holder);
    // Only the dead pid can free the key: the age bound is an hour.
    const after = await store.put("held/key", new TextEncoder().encode("after"), { ifMatch: before.version });
    expect(after.version).not.toBe(before.version);
    expect(await leftovers(root)).not.toContainEqual(expect.stringMatching(/^held\/\.ckpt-lock-/));
  });
});
