/**
 * Measures the commit protocol (not part of the test run; no assertions):
 * - store calls per commit of k objects, and how many of them are sequential steps;
 * - the time of 1,000 small commits on the Map-backed test store, memfs (memory://) and disk.
 *
 * Run from the repo root: node --import tsx --conditions=@ckpt/source packages/core/test/measure-commits.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CatalogClient, type CatalogOptions, type CommitRequest } from "../src/commit/index.js";
import { openStore, type Store } from "../src/store/index.js";
import { CountingStore } from "./support/counting-store.js";
import { MapStore } from "./support/map-store.js";

function client(
  store: Store,
  mode: CatalogOptions["mode"],
  cleanup: CatalogOptions["cleanup"] = "await",
): CatalogClient {
  return new CatalogClient({
    cleanup,
    store,
    checkpoint: "measure",
    root: "measure",
    mode,
    historySize: mode === "append" ? 4 : null,
    rank: 0,
    worldSize: 1,
    level: 2,
  });
}

function request(writeCount: number, k: number): CommitRequest {
  const objects = Array.from({ length: k }, (_, index) => {
    const bytes = new TextEncoder().encode(`{"field":${index},"write":${writeCount}}`);
    return { key: `states/demo.State/f${index}.json`, chunks: [bytes], size: bytes.byteLength };
  });
  return { writeCount, labels: {}, metadata: { leadTime: writeCount }, states: {}, objects };
}

async function callsPerCommit(): Promise<void> {
  console.log("store calls per commit (after the first commit; catalog cached, no other writer)");
  console.log("mode           k   calls  ops");
  for (const [mode, cleanup] of [
    ["append", "await"],
    ["overwrite", "await"],
    ["overwrite", "background"],
  ] as const)
    for (const k of [0, 1, 4, 16]) {
      const store = new CountingStore(new MapStore({ pageSize: 3 }));
      const catalog = client(store, mode, cleanup);
      await catalog.commit(request(1, k));
      store.calls.length = 0;
      await catalog.commit(request(2, k));
      await catalog.settle();
      const ops = store.calls.map((call) => call.op);
      if (cleanup === "background" && ops.at(-1) === "delete") ops[ops.length - 1] = "delete (not awaited)";
      const summary = `${k > 0 ? `${k}×put(object, parallel) → ` : ""}${ops.slice(k).join(" → ")}`;
      const label = `${mode}${cleanup === "background" ? "+bg" : ""}`;
      console.log(
        `${label.padEnd(13)} ${String(k).padStart(2)}  ${String(ops.length).padStart(5)}  ${summary}`,
      );
    }
}

async function timeCommits(name: string, open: () => Promise<{ store: Store; done: () => Promise<void> }>) {
  for (const [mode, cleanup] of [
    ["overwrite", "await"],
    ["overwrite", "background"],
    ["append", "await"],
  ] as const) {
    let opened: { store: Store; done: () => Promise<void> };
    try {
      opened = await open();
    } catch (error) {
      console.log(`${name.padEnd(28)} skipped: ${(error as Error).message}`);
      return;
    }
    const catalog = client(opened.store, mode, cleanup);
    await catalog.rows();
    const started = performance.now();
    for (let i = 1; i <= 1000; i++) await catalog.commit(request(i, 1));
    await catalog.settle();
    const ms = performance.now() - started;
    const label = `${mode}${cleanup === "background" ? "+bg" : ""}`;
    console.log(
      `${name.padEnd(28)} ${label.padEnd(13)} 1,000 commits in ${(ms / 1000).toFixed(2)} s  (${(ms / 1000).toFixed(3)} ms/commit, ${Math.round(1000 / (ms / 1000))} commits/s)`,
    );
    await opened.done();
  }
}

await callsPerCommit();
console.log("\n1,000 small commits (1 object of ~25 bytes + manifest + catalog each), sequential");
await timeCommits("Map store (test support)", async () => ({
  store: new MapStore({ pageSize: 3 }),
  done: async () => {},
}));
await timeCommits("memfs (memory://)", async () => {
  const store = await openStore(`memory://measure-${process.hrtime.bigint()}`);
  return { store, done: async () => store.close?.() };
});
await timeCommits("disk (file://, tmpdir)", async () => {
  const folder = await mkdtemp(join(tmpdir(), "ckpt-measure-"));
  const store = await openStore(pathToFileURL(folder).href);
  return {
    store,
    done: async () => {
      await store.close?.();
      await rm(folder, { recursive: true, force: true });
    },
  };
});
