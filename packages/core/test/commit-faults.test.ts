import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsStore } from "@ckpt/store-fs";
import { afterAll, describe, expect, it } from "vitest";
import { CatalogClient } from "../src/commit/index.js";
import { listAllArray } from "../src/store/index.js";
import { describeCommitProtocolFaults, FaultyStore } from "../src/testing/index.js";
import { MapStore } from "./support/map-store.js";

// Core's own runs of the fault suite: on the Map-backed test store and on FsStore (a
// devDependency) over memfs and on disk. The S3 and GCS packages run it on their servers.
describeCommitProtocolFaults({
  name: "MapStore (core test support)",
  create: async () => new MapStore({ pageSize: 3 }),
});

let volume = 0;
describeCommitProtocolFaults({
  name: "FsStore on memfs",
  create: async () => FsStore.fromUrl(`memory://commit-faults-${++volume}`),
});

const base = await mkdtemp(join(tmpdir(), "ckpt-commit-faults-"));
afterAll(() => rm(base, { recursive: true, force: true }));
let folder = 0;
describeCommitProtocolFaults({
  name: "FsStore on disk",
  create: async () => new FsStore({ root: join(base, `store-${++folder}`) }),
});

describe("commit protocol under random transient failures", () => {
  it("30% of all store calls failing: every commit that resolved is in the catalog, whole, and nothing else", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const faulty = new FaultyStore(inner, { transientRate: 0.3, seed: 7 });
    const catalog = new CatalogClient({
      store: faulty,
      checkpoint: "soak",
      root: "soak",
      mode: "append",
      historySize: null,
      rank: 0,
      worldSize: 1,
      level: 2,
      retry: { baseDelayMs: 0, maxDelayMs: 1 },
      warn: () => {},
    });
    const committed: string[] = [];
    for (let i = 1; i <= 100; i++) {
      const body = new TextEncoder().encode(`write ${i}`);
      await catalog
        .commit({
          writeCount: i,
          labels: {},
          metadata: {},
          states: {},
          objects: [{ key: "a.bin", chunks: [body], size: body.byteLength }],
        })
        .then(
          (row) => committed.push(row.commitId),
          () => undefined,
        );
    }
    faulty.reset();
    const reader = new CatalogClient({ ...catalogOptions(inner) });
    const rows = await reader.rows();
    // "before" faults have no effect, so a commit that failed did not happen.
    expect(rows.map((row) => row.commitId)).toEqual(committed);
    expect(committed.length).toBeGreaterThan(80);
    for (const row of rows) await reader.verify(row);
    await reader.gc({ olderThan: 0 });
    const folders = new Set(
      (await listAllArray(inner, "soak/commits/")).map((info) => info.key.split("/")[2]),
    );
    expect([...folders].sort()).toEqual([...committed].sort());
  });
});

function catalogOptions(store: MapStore) {
  return {
    store,
    checkpoint: "soak",
    root: "soak",
    mode: "append" as const,
    historySize: null,
    rank: 0,
    worldSize: 1,
    level: 2 as const,
  };
}
