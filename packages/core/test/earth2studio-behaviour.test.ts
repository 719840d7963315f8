/**
 * The behaviour of earth2studio's checkpoint module, which ckpt's API follows, proved on ckpt's
 * public API and a real store: memfs volumes through @ckpt/store-fs. Where ckpt differs on purpose,
 * the test says "ours differs". Behaviour proved elsewhere: the commit protocol under every store
 * fault (commit-faults.test.ts, commit-two-processes.test.ts), fsync and SIGKILL (packages/store-fs),
 * the codec (codec.*, npy.* tests), the schema hash (state.schema.test.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bindCheckpointState,
  Checkpoint,
  CheckpointBindingError,
  CheckpointEntry,
  CheckpointIntegrityError,
  CheckpointMetadataError,
  CheckpointOptionError,
  CheckpointSelectionError,
  CheckpointSession,
  CheckpointSessionError,
  CheckpointStateCollisionError,
  CheckpointStateSchemaError,
  checkpointState,
  formatDuration,
  NullCheckpoint,
  openStore,
  type Store,
  StoreConfigError,
  typedArray,
} from "../src/index.js";
import { FaultyStore } from "../src/testing/index.js";
// Registers the memory:// (memfs) and file:// openers.
import "@ckpt/store-fs";

let storeCounter = 0;
/** A fresh, empty memfs store. */
async function freshStore(): Promise<Store> {
  return openStore(`memory://behaviour-${process.pid}-${storeCounter++}`);
}

/** Collects warnings instead of printing them. */
function warnings(): { list: string[]; warn: (message: string) => void } {
  const list: string[] = [];
  return { list, warn: (message) => list.push(message) };
}

/** A store that refuses puts while `deny` is set (a definite failure, not retried). */
class DenyingStore extends FaultyStore {
  deny = false;
  override async put(...args: Parameters<Store["put"]>) {
    if (this.deny) throw new StoreConfigError(`put of ${args[0]} denied by the test`);
    return super.put(...args);
  }
}

async function readJson(store: Store, key: string): Promise<Record<string, unknown>> {
  const { bytes } = await store.get(key);
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

async function keysUnder(store: Store, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, cursor === undefined ? {} : { cursor });
    keys.push(...page.items.map((item) => item.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

const RngState = checkpointState(
  "demo.RngState",
  z.object({ seed: z.number(), counter: z.number(), buffer: typedArray("float64") }),
);
const rng = () => ({ seed: 1, counter: 0, buffer: new Float64Array([0, 0, 0]) });
// Arrays of up to 4 KiB are packed into state.json; this one is a .npy of its own.
const largeRng = () => ({ seed: 1, counter: 0, buffer: new Float64Array(1024) });
const Counter = checkpointState("demo.Counter", z.object({ count: z.number() }));

const env = {}; // no rank variables: tests pass ranks explicitly where they matter

describe("Checkpoint(name, options) and its defaults", () => {
  it("defaults to overwrite, flushInterval 1, historySize 1, level 2, rank 0 of 1, device cpu", async () => {
    const checkpoint = new Checkpoint("defaults", { store: await freshStore(), env });
    expect(checkpoint.name).toBe("defaults");
    expect(checkpoint.mode).toBe("overwrite");
    expect(checkpoint.flushInterval).toBe(1);
    expect(checkpoint.historySize).toBe(1);
    expect(checkpoint.level).toBe(2);
    expect([checkpoint.rank, checkpoint.worldSize]).toEqual([0, 1]);
    expect(checkpoint.device).toBe("cpu");
    expect(checkpoint.root).toBe("defaults");
  });

  it("keeps every given option", async () => {
    const checkpoint = new Checkpoint("given", {
      store: await freshStore(),
      mode: "append",
      historySize: 8,
      flushInterval: 6,
      level: 1,
      device: "cuda:1",
      env,
    });
    expect([checkpoint.mode, checkpoint.historySize, checkpoint.flushInterval]).toEqual(["append", 8, 6]);
    expect([checkpoint.level, checkpoint.device]).toEqual([1, "cuda:1"]);
  });

  it("refuses a name that is not one safe key segment, naming the option", () => {
    for (const name of ["", "a/b", "..", "x\u0000"]) {
      const error = (() => {
        try {
          new Checkpoint(name, { env });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(CheckpointOptionError);
      expect((error as CheckpointOptionError).option).toBe("name");
      expect((error as CheckpointOptionError).code).toBe("E_OPTION");
    }
  });
});

describe("option validation, in earth2studio's order and words", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ mode: "replace" }, "mode", "mode must be 'overwrite' or 'append'."],
    [{ flushInterval: 0 }, "flushInterval", "flushInterval must be a positive integer or null."],
    [{ flushInterval: 1.5 }, "flushInterval", "flushInterval must be a positive integer or null."],
    [{ mode: "append", historySize: 0 }, "historySize", "historySize must be a positive integer or null."],
    [{ level: true }, "level", "level must be 0, 1, or 2."],
    [{ level: 3 }, "level", "level must be 0, 1, or 2."],
    [{ rank: -1 }, "rank", "rank must be a non-negative integer."],
    [{ worldSize: 0 }, "worldSize", "worldSize must be a positive integer."],
    [{ store: 42 }, "store", "store must be a Store or a store URL string."],
    [{ cleanup: "later" }, "cleanup", "cleanup must be 'await' or 'background'."],
    [{ retry: { attempts: -1 } }, "retry", "retry must be an object of non-negative integers"],
    [{ flushInterva: 2 }, "flushInterva", 'Unknown option "flushInterva"'],
  ];
  for (const [options, option, message] of cases)
    it(`${JSON.stringify(options)} → CheckpointOptionError naming ${option}`, () => {
      expect(() => new Checkpoint("bad", { env, ...options } as never)).toThrow(message);
      try {
        new Checkpoint("bad", { env, ...options } as never);
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointOptionError);
        expect((error as CheckpointOptionError).option).toBe(option);
        expect((error as Error).message).toContain('Checkpoint "bad"');
      }
    });

  it("reports the first invalid option in earth2studio's order: mode, flushInterval, historySize, level", () => {
    const all = { mode: "x", flushInterval: 0, historySize: 0, level: 9 };
    expect(() => new Checkpoint("order", { env, ...all } as never)).toThrow("mode must be");
    expect(() => new Checkpoint("order", { env, ...all, mode: "append" } as never)).toThrow(
      "flushInterval must be",
    );
    expect(
      () => new Checkpoint("order", { env, ...all, mode: "append", flushInterval: null } as never),
    ).toThrow("historySize must be");
    expect(
      () =>
        new Checkpoint("order", {
          env,
          ...all,
          mode: "append",
          flushInterval: null,
          historySize: null,
        } as never),
    ).toThrow("level must be");
  });

  it("accepts null for flushInterval and historySize", async () => {
    const checkpoint = new Checkpoint("nulls", {
      store: await freshStore(),
      mode: "append",
      flushInterval: null,
      historySize: null,
      env,
    });
    expect([checkpoint.flushInterval, checkpoint.historySize]).toEqual([null, null]);
  });
});

describe("location and history defaults", () => {
  it("defaults the store to CKPT_STORE, and does no I/O in the constructor", () => {
    // An unknown scheme would fail on open: constructing must not open anything.
    const checkpoint = new Checkpoint("lazy", { env: { CKPT_STORE: "nosuch://bucket/runs" } });
    expect(checkpoint.location).toBe("nosuch://bucket/runs/lazy");
  });

  it("opens a store URL lazily, on first use", async () => {
    const url = `memory://behaviour-url-${process.pid}`;
    const checkpoint = new Checkpoint("by-url", { store: url, env });
    expect(await checkpoint.catalog()).toEqual([]);
    await checkpoint.run(async (session) => {
      await session.write({ leadTime: 6 });
    });
    const again = new Checkpoint("by-url", { store: await openStore(url), env });
    expect((await again.catalog()).map((entry) => entry.writeCount)).toEqual([1]);
    const unopenable = new Checkpoint("bad-url", { store: "nosuch://x", env });
    await expect(unopenable.catalog()).rejects.toBeInstanceOf(StoreConfigError);
  });

  it("overwrite forces historySize 1; append without historySize keeps every row", async () => {
    const store = await freshStore();
    expect(new Checkpoint("o", { store, mode: "overwrite", historySize: 5, env }).historySize).toBe(1);
    const append = new Checkpoint("a", { store, mode: "append", env });
    expect(append.historySize).toBeNull();
    await append.run(async (session) => {
      for (let i = 0; i < 5; i++) await session.write({ step: i });
    });
    expect((await append.catalog()).map((entry) => entry.writeCount)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("the most recently constructed checkpoint is the current one", () => {
  it("a state bound outside any session goes to the newest checkpoint", async () => {
    const store = await freshStore();
    new Checkpoint("first", { store, level: 1, env });
    const second = new Checkpoint("second", { store, level: 2, env });
    const handle = bindCheckpointState(Counter, { count: 0 });
    expect(handle.checkpointEnabled).toBe(true);
    expect(handle.checkpointLevel).toBe(2);
    await second.run(async (session) => {
      expect(session.bind(handle)).toBe(handle);
    });
    expect((await second.catalog())[0]!.stateIds).toEqual(["demo.Counter"]);
  });
});

describe("rank and world size from the environment (DESIGN §6)", () => {
  it("reads the variables in DESIGN §6's order", () => {
    const cases: [Record<string, string>, number, number | undefined][] = [
      [{ RANK: "3", WORLD_SIZE: "4", SLURM_PROCID: "1", SLURM_NTASKS: "2" }, 3, 4],
      [{ OMPI_COMM_WORLD_RANK: "2", OMPI_COMM_WORLD_SIZE: "5", PMI_RANK: "1", PMI_SIZE: "9" }, 2, 5],
      [{ PMI_RANK: "1", PMI_SIZE: "9" }, 1, 9],
      [{ SLURM_PROCID: "7", SLURM_NTASKS: "8" }, 7, 8],
      [{ JOB_COMPLETION_INDEX: "4" }, 4, undefined],
      [{ BATCH_TASK_INDEX: "2", BATCH_TASK_COUNT: "3" }, 2, 3],
      [{ AWS_BATCH_JOB_ARRAY_INDEX: "6" }, 6, undefined],
    ];
    for (const [variables, rank, worldSize] of cases) {
      const checkpoint = new Checkpoint("ranks", { store: "memory://unused", env: variables });
      expect([checkpoint.rank, checkpoint.worldSize], JSON.stringify(variables)).toEqual([rank, worldSize]);
    }
  });

  it("explicit rank and worldSize override each value separately", () => {
    const variables = { RANK: "3", WORLD_SIZE: "4" };
    const rankOnly = new Checkpoint("x", { store: "memory://unused", env: variables, rank: 1 });
    expect([rankOnly.rank, rankOnly.worldSize]).toEqual([1, 4]);
    const sizeOnly = new Checkpoint("x", { store: "memory://unused", env: variables, worldSize: 8 });
    expect([sizeOnly.rank, sizeOnly.worldSize]).toEqual([3, 8]);
    expect(() => new Checkpoint("x", { store: "memory://unused", env: variables, rank: 5 })).toThrow(
      "rank must be less than worldSize",
    );
  });

  it("refuses a rank variable that is not an integer, naming the variable", () => {
    expect(() => new Checkpoint("x", { store: "memory://unused", env: { RANK: "one" } })).toThrow(
      CheckpointOptionError,
    );
    try {
      new Checkpoint("x", { store: "memory://unused", env: { RANK: "one" } });
    } catch (error) {
      expect((error as CheckpointOptionError).option).toBe("RANK");
    }
  });
});

describe("per-rank folders and catalogs", () => {
  it("world size 1 writes at the name; otherwise under rank_NNNNNN, one catalog per rank", async () => {
    const store = await freshStore();
    expect(new Checkpoint("run", { store, env }).root).toBe("run");
    const rank0 = new Checkpoint("run", { store, rank: 0, worldSize: 2, env });
    const rank1 = new Checkpoint("run", { store, rank: 1, worldSize: 2, env });
    expect([rank0.root, rank1.root]).toEqual(["run/rank_000000", "run/rank_000001"]);
    await rank0.run((session) => session.write({ who: 0 }));
    await rank1.run(async (session) => {
      await session.write({ who: 1 });
      await session.write({ who: 1 });
    });
    expect((await rank0.catalog()).map((entry) => [entry.rank, entry.worldSize, entry.metadata.who])).toEqual(
      [[0, 2, 0]],
    );
    // A rank of a world keeps the boundary before its newest too, which the other ranks may still need.
    expect((await rank1.catalog()).map((entry) => [entry.rank, entry.writeCount])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(await store.head("run/rank_000001/catalog.json")).toBeDefined();
  });
});

describe("catalog rows", () => {
  it("rows carry commitId, labels, metadata, metadataKeys, writeCount, savedAt, rank, worldSize, stateIds", async () => {
    const checkpoint = new Checkpoint("rows", { store: await freshStore(), env });
    await checkpoint.run(async (session) => {
      bindCheckpointState(Counter, { count: 1 });
      await session.write({ leadTime: 6, note: "x" });
    });
    const [entry] = await checkpoint.catalog();
    expect(entry).toBeInstanceOf(CheckpointEntry);
    expect(entry!.commitId).toMatch(/^commit_00000001_[0-9a-f]{12}$/);
    expect(entry!.labels).toEqual({});
    expect(entry!.metadata).toEqual({ leadTime: 6, note: "x" });
    expect([...entry!.metadataKeys].sort()).toEqual(["leadTime", "note"]);
    expect(entry!.artifacts).toBe(entry!.metadataKeys);
    expect(entry!.leadTime).toBe(6);
    expect(entry!.writeCount).toBe(1);
    expect(Date.parse(entry!.savedAt)).not.toBeNaN();
    expect([entry!.rank, entry!.worldSize]).toEqual([0, 1]);
    expect(entry!.stateIds).toEqual(["demo.Counter"]);
  });
});

describe("select(row)", () => {
  it("fails on an empty catalog with earth2studio's message and the checkpoint's name", async () => {
    const checkpoint = new Checkpoint("empty", { store: await freshStore(), env });
    await expect(checkpoint.select(-1)).rejects.toThrow("No checkpoint entries match this selection.");
    await expect(checkpoint.select(0)).rejects.toBeInstanceOf(CheckpointSelectionError);
    await expect(checkpoint.select(0)).rejects.toThrow('Checkpoint "empty"');
  });

  it("counts negative rows from the end and refuses rows out of range", async () => {
    const checkpoint = new Checkpoint("neg", { store: await freshStore(), mode: "append", env });
    await checkpoint.run(async (session) => {
      for (let i = 1; i <= 3; i++) await session.write({ step: i });
    });
    expect((await checkpoint.select(-1)).writeCount).toBe(3);
    expect((await checkpoint.select(-3)).writeCount).toBe(1);
    expect((await checkpoint.select(1)).writeCount).toBe(2);
    await expect(checkpoint.select(3)).rejects.toThrow("out of range");
    await expect(checkpoint.select(-4)).rejects.toBeInstanceOf(CheckpointSelectionError);
  });

  it("re-reads the catalog: rows committed by another writer are seen", async () => {
    const store = await freshStore();
    const reader = new Checkpoint("shared", { store, env });
    const writer = new Checkpoint("shared", { store, env });
    await expect(reader.select(-1)).rejects.toBeInstanceOf(CheckpointSelectionError);
    await writer.run((session) => session.write({ step: 1 }));
    expect((await reader.select(-1)).metadataValue("step")).toBe(1);
  });
});

describe("labels", () => {
  it("a session carries its row's labels; overwrite replaces only rows with equal labels", async () => {
    const checkpoint = new Checkpoint("labels", { store: await freshStore(), env });
    await checkpoint.run((session) => session.write({ step: 1 }), { labels: { member: 1 } });
    await checkpoint.run((session) => session.write({ step: 1 }), { labels: { member: 2 } });
    await checkpoint.run((session) => session.write({ step: 2 }), { labels: { member: 1 } });
    const rows = await checkpoint.catalog();
    expect(rows.map((row) => [row.labels.member, row.writeCount])).toEqual([
      [2, 1],
      [1, 2],
    ]);
    const selected = await checkpoint.select(0);
    expect(selected.labels).toEqual({ member: 2 });
    expect((await checkpoint.select(-1, { labels: { member: 1 } })).writeCount).toBe(2);
    expect((await checkpoint.open()).labels).toEqual({ member: 1 });
  });

  it("historySize keeps the last N rows of the same labels in append mode", async () => {
    const checkpoint = new Checkpoint("hist", {
      store: await freshStore(),
      mode: "append",
      historySize: 2,
      env,
    });
    await checkpoint.run(
      async (session) => {
        for (let i = 1; i <= 4; i++) await session.write({ step: i });
      },
      { labels: { member: 1 } },
    );
    await checkpoint.run((session) => session.write({ step: 1 }), { labels: { member: 2 } });
    const rows = await checkpoint.catalog();
    expect(rows.map((row) => [row.labels.member, row.writeCount])).toEqual([
      [1, 3],
      [1, 4],
      [2, 1],
    ]);
  });

  it("refuses labels that are not flat values", async () => {
    const checkpoint = new Checkpoint("badlabels", { store: await freshStore(), env });
    await expect(checkpoint.select(undefined, { labels: { a: [1] } as never })).rejects.toBeInstanceOf(
      CheckpointOptionError,
    );
  });
});

describe("entering a checkpoint", () => {
  it("a new session on an empty catalog, the latest row otherwise", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("enter", { store, mode: "append", env });
    await checkpoint.run(async (session) => {
      expect(session.exists).toBe(false);
      await session.write({ step: 1 });
      await session.write({ step: 2 });
    });
    await checkpoint.run(async (session) => {
      expect(session.exists).toBe(true);
      expect(session.writeCount).toBe(2);
      expect(session.metadataValue("step")).toBe(2);
    });
  });

  it("a nested run of the same checkpoint re-enters the same session; sessions nest as a stack", async () => {
    const store = await freshStore();
    const outer = new Checkpoint("outer", { store, env });
    const other = new Checkpoint("other", { store, env });
    await outer.run(async (session) => {
      await outer.run(async (inner) => {
        expect(inner).toBe(session);
        await other.run(async (third) => {
          expect(third).not.toBe(session);
          expect(third.isActive).toBe(true);
          expect(session.isActive).toBe(false);
          await outer.run(async (again) => expect(again).toBe(session));
        });
        expect(session.isActive).toBe(true);
      });
      expect(outer.active).toBe(session);
    });
    expect(outer.active).toBeUndefined();
  });
});

describe("entering adopts pending states once", () => {
  it("states bound before the session are adopted and saved with it", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("adopt", { store, env });
    const handle = bindCheckpointState(Counter, { count: 5 });
    expect(handle.checkpointWriteCount).toBe(0);
    await checkpoint.run(async (session) => {
      expect(handle.checkpointSelected).toBe(false);
      await session.write();
      expect(handle.checkpointWriteCount).toBe(1);
    });
    const restored = new Checkpoint("adopt", { store, env });
    await restored.run(async () => {
      const value = { count: 0 };
      bindCheckpointState(Counter, value);
      expect(value.count).toBe(5);
    });
  });
});

describe("leaving a session", () => {
  it("restores the previous active session; bound states stay with the checkpoint and become reusable", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("leave", { store, env });
    const value = { count: 1 };
    let handle = bindCheckpointState(Counter, value);
    await checkpoint.run(async (session) => {
      handle = bindCheckpointState(Counter, value);
      expect(handle.checkpointWriteCount).toBe(0);
      await session.write();
    });
    expect(handle.checkpointEnabled).toBe(true);
    expect(handle.checkpointWriteCount).toBe(0); // no longer tied to a session
    // A different object may replace the reusable binding in the next session, once.
    await checkpoint.run(async () => {
      const replacement = { count: 0 };
      const next = bindCheckpointState(Counter, replacement);
      expect(next).not.toBe(handle);
      expect(replacement.count).toBe(1);
      expect(() => bindCheckpointState(Counter, { count: 9 })).toThrow(CheckpointStateCollisionError);
    });
  });

  it("a session can be used without entering it", async () => {
    const checkpoint = new Checkpoint("direct", { store: await freshStore(), env });
    await checkpoint.run((session) => session.write({ leadTime: 12 }));
    const latest = await checkpoint.select(-1);
    expect(latest.isActive).toBe(false);
    expect(latest.metadataValue("leadTime")).toBe(12);
  });

  it("ours differs: run flushes pending writes when fn returns, and not when it throws", async () => {
    const { list, warn } = warnings();
    const checkpoint = new Checkpoint("flushes", {
      store: await freshStore(),
      flushInterval: null,
      warn,
      env,
    });
    await checkpoint.run(async (session) => {
      await session.write({ step: 1 });
      await session.write({ step: 2 });
    });
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([2]);
    await expect(
      checkpoint.run(async (session) => {
        await session.write({ step: 3 });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([2]);
    expect(list.join("\n")).toContain("1 write(s) since the last commit were not committed");
  });
});

describe("write", () => {
  it("counts, accumulates metadata, turns one-element typed arrays into scalars, flushes on the interval", async () => {
    const checkpoint = new Checkpoint("write", { store: await freshStore(), flushInterval: 2, env });
    await checkpoint.run(async (session) => {
      expect(await session.write({ leadTime: new Float64Array([6]) })).toBeUndefined();
      expect(session.writeCount).toBe(1);
      const entry = await session.write({ member: 3 });
      expect(entry).toBeInstanceOf(CheckpointEntry);
      expect(entry!.metadata).toEqual({ leadTime: 6, member: 3 });
      expect(session.writeCount).toBe(2);
      expect(session.commitId).toBe(entry!.commitId);
    });
  });

  it("a failed flush restores writeCount, pending metadata and dirtiness, and rethrows", async () => {
    const store = new DenyingStore(await freshStore());
    const checkpoint = new Checkpoint("rollback", { store, flushInterval: 2, env });
    const session = await checkpoint.open();
    await session.write({ a: 1 });
    await session.flush(); // clean, writeCount 1, committed metadata { a: 1 }
    await session.write({ b: 2 }); // writeCount 2: due, commits
    expect((await checkpoint.catalog())[0]!.metadata).toEqual({ a: 1, b: 2 });
    await session.write({ c: 3 }); // 3: pending
    store.deny = true;
    await expect(session.write({ d: 4 })).rejects.toBeInstanceOf(StoreConfigError); // 4: due, fails
    expect(session.writeCount).toBe(3);
    store.deny = false;
    const entry = await session.flush();
    expect(entry!.writeCount).toBe(3);
    expect(entry!.metadata).toEqual({ a: 1, b: 2, c: 3 }); // d was rolled back
    expect(await session.flush()).toBeUndefined(); // clean again
  });
});

describe("flush", () => {
  it("returns undefined when nothing is dirty and no overrides are given; overrides commit", async () => {
    const checkpoint = new Checkpoint("flush", { store: await freshStore(), flushInterval: null, env });
    await checkpoint.run(async (session) => {
      await session.write({ leadTime: 6 });
      const first = await session.flush({ extra: true });
      expect(first!.metadata).toEqual({ leadTime: 6, extra: true });
      expect(session.writeCount).toBe(1);
      expect(await session.flush()).toBeUndefined();
      const second = await session.flush({ leadTime: 7 });
      expect(second!.metadata).toEqual({ leadTime: 7, extra: true });
      expect(second!.writeCount).toBe(1);
    });
  });

  it("only a successful commit makes the session clean", async () => {
    const store = new DenyingStore(await freshStore());
    const checkpoint = new Checkpoint("flush-fail", { store, flushInterval: null, env });
    const session = await checkpoint.open();
    await session.write({ step: 1 });
    store.deny = true;
    await expect(session.flush()).rejects.toThrow("denied");
    store.deny = false;
    expect((await session.flush())!.metadata).toEqual({ step: 1 });
  });
});

describe("new and resumed sessions", () => {
  it("a new session commits writeCount 0 on its first flush without writes", async () => {
    const checkpoint = new Checkpoint("zero", { store: await freshStore(), env });
    const session = await checkpoint.open();
    const entry = await session.flush();
    expect(entry!.writeCount).toBe(0);
    expect(entry!.commitId).toMatch(/^commit_00000000_/);
  });

  it("a resumed session starts at its row's writeCount with empty pending metadata", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("resume", { store, flushInterval: null, env });
    await checkpoint.run(async (session) => {
      await session.write({ a: 1 });
      await session.write({ b: 2 });
    });
    const resumed = await checkpoint.open();
    expect(resumed.writeCount).toBe(2);
    expect(await resumed.flush()).toBeUndefined();
    await resumed.write({ c: 3 });
    expect((await resumed.flush())!.metadata).toEqual({ c: 3 });
  });
});

describe("flushInterval null", () => {
  it("writes stay pending until flush(); flush is never due", async () => {
    const checkpoint = new Checkpoint("manual", { store: await freshStore(), flushInterval: null, env });
    const session = await checkpoint.open();
    await session.run(async () => {
      const handle = bindCheckpointState(Counter, { count: 0 });
      for (let i = 0; i < 5; i++) {
        expect(await session.write({ step: i })).toBeUndefined();
        expect(handle.checkpointIsFlushDue).toBe(false);
      }
      expect(await checkpoint.catalog()).toEqual([]);
      expect((await session.flush())!.writeCount).toBe(5);
    });
  });
});

describe("what a commit writes (through the session API)", () => {
  it("commit id, manifest fields, state folder with .npy arrays, catalog file; the session points at the new row", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("layout", { store, env });
    let commitId: string | undefined;
    await checkpoint.run(async (session) => {
      bindCheckpointState(RngState, largeRng());
      const entry = await session.write({ leadTime: 6 });
      commitId = entry!.commitId;
      expect(session.commitId).toBe(commitId);
      expect(session.commitFolder).toBe(`layout/commits/${commitId}`);
    });
    expect(commitId).toMatch(/^commit_00000001_[0-9a-f]{12}$/);
    const manifest = await readJson(store, `layout/commits/${commitId}/manifest.json`);
    expect(manifest).toMatchObject({
      checkpoint: "layout",
      commitId,
      mode: "overwrite",
      rank: 0,
      worldSize: 1,
      labels: {},
      writeCount: 1,
      states: { "demo.RngState": { path: "states/demo.RngState", schemaHash: RngState.schemaHash } },
    });
    expect(manifest.metadata).toEqual({ leadTime: 6 });
    const keys = await keysUnder(store, `layout/commits/${commitId}/`);
    const npy = keys.filter((key) => key.endsWith(".npy"));
    // The array is its own .npy; the scalars are in state.json.
    expect(npy).toHaveLength(1);
    expect(keys).toContain(`layout/commits/${commitId}/states/demo.RngState/state.json`);
    const magic = (await store.get(npy[0]!)).bytes.subarray(0, 6);
    expect(new TextDecoder().decode(magic.subarray(1))).toBe("NUMPY");
    const catalog = await readJson(store, "layout/catalog.json");
    expect(catalog.version).toBe(1);
    expect((catalog.rows as { commitId: string }[]).map((row) => row.commitId)).toEqual([commitId]);
  });

  it("level 0 writes no state and restores none", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("level0", { store, level: 0, env });
    await checkpoint.run(async (session) => {
      bindCheckpointState(Counter, { count: 7 });
      await session.write();
    });
    const [entry] = await checkpoint.catalog();
    expect(entry!.stateIds).toEqual([]);
    const full = new Checkpoint("level0", { store, level: 2, env });
    await full.run(async () => {
      const value = { count: 0 };
      const handle = bindCheckpointState(Counter, value);
      expect(handle.checkpointStateLoaded).toBe(false);
      expect(value.count).toBe(0);
    });
  });

  it("overwrite deletes the commit it retires", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("retire", { store, env });
    const first = await (await checkpoint.open()).flush();
    await checkpoint.run((session) => session.write());
    expect(await keysUnder(store, `retire/commits/${first!.commitId}/`)).toEqual([]);
  });

  it("overwrite with cleanup: 'background': close() waits for the retired commit's deletion", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("retire-bg", { store, cleanup: "background", env });
    const first = await (await checkpoint.open()).flush();
    await checkpoint.run((session) => session.write());
    await checkpoint.close();
    expect(await keysUnder(store, `retire-bg/commits/${first!.commitId}/`)).toEqual([]);
    expect(await checkpoint.catalog()).toHaveLength(1);
  });

  it("a missing catalog is rebuilt from the manifests in memory; the next commit writes it back", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("rebuild", { store, mode: "append", warn: () => {}, env });
    await checkpoint.run(async (session) => {
      await session.write({ step: 1 });
      await session.write({ step: 2 });
    });
    await store.delete(["rebuild/catalog.json"]);
    const reader = new Checkpoint("rebuild", { store, mode: "append", warn: () => {}, env });
    expect((await reader.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
    expect(await store.head("rebuild/catalog.json")).toBeUndefined();
    await reader.run((session) => session.write({ step: 3 }));
    expect(await store.head("rebuild/catalog.json")).toBeDefined();
    expect((await reader.catalog()).map((row) => row.writeCount)).toEqual([1, 2, 3]);
  });
});

describe("metadata keys and values", () => {
  it("refuses symbol keys and values the codec refuses, naming the key, before anything changes", async () => {
    const checkpoint = new Checkpoint("meta", { store: await freshStore(), env });
    const session = await checkpoint.open();
    const symbol = Symbol("lead");
    await expect(session.write({ [symbol]: 1 } as never)).rejects.toThrow("metadata keys must be strings.");
    await expect(session.write({ fn: () => 1 })).rejects.toThrow("Invalid checkpoint metadata 'fn': ");
    await expect(session.write({ fn: () => 1 })).rejects.toBeInstanceOf(CheckpointMetadataError);
    await expect(session.flush({ big: new Float32Array(4) })).rejects.toThrow("'big'");
    expect(session.writeCount).toBe(0);
  });

  it("through metadata, dates and nested values round-trip, other kinds are refused", async () => {
    const checkpoint = new Checkpoint("meta-codec", { store: await freshStore(), env });
    const when = new Date("2026-01-02T03:04:05.000Z");
    await checkpoint.run((session) =>
      session.write({ when, nested: { list: [1, "a", null] }, big: 2n ** 70n }),
    );
    const latest = await checkpoint.select(-1);
    expect(latest.metadataValue("when")).toEqual(when);
    expect(latest.metadataValue("nested")).toEqual({ list: [1, "a", null] });
    expect(latest.metadataValue("big")).toBe(2n ** 70n);
  });
});

describe("only declared states bind", () => {
  it("binding something that is not a declared state type fails", () => {
    expect(() => bindCheckpointState({ id: "x" } as never, { a: 1 } as never)).toThrow(
      CheckpointBindingError,
    );
    expect(() => bindCheckpointState(Counter, 5 as never)).toThrow(CheckpointBindingError);
  });
});

describe("where a state binds", () => {
  it("inside a session: bound and restored at once", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("where", { store, env });
    await checkpoint.run(async (session) => {
      bindCheckpointState(Counter, { count: 3 });
      await session.write();
    });
    await new Checkpoint("where", { store, env }).run(async () => {
      const handle = bindCheckpointState(Counter, { count: 0 });
      expect(handle.value.count).toBe(3);
      expect(handle.checkpointSelected).toBe(true);
      expect(handle.checkpointStateLoaded).toBe(true);
    });
  });

  it("outside any checkpoint: an unbound handle reporting not enabled", async () => {
    // A fresh module graph has no current checkpoint.
    const { vi } = await import("vitest");
    vi.resetModules();
    const fresh = await import("../src/index.js");
    const State = fresh.checkpointState("demo.Unbound", z.object({ a: z.number() }));
    const handle = fresh.bindCheckpointState(State, { a: 1 });
    expect(handle.checkpointEnabled).toBe(false);
    expect(handle.checkpointLevel).toBe(0);
    expect(handle.device).toBe("cpu");
    expect(handle.checkpointFlushInterval).toBeNull();
    expect(handle.checkpointWriteCount).toBe(0);
    expect(handle.checkpointIsFlushDue).toBe(false);
    expect(handle.checkpointSelected).toBe(false);
    expect(handle.checkpointStateLoaded).toBe(false);
    expect(handle.checkpointLeadTime).toBeUndefined();
    expect(handle.checkpointMetadata).toEqual({});
    expect(handle.checkpointLabels).toEqual({});
    expect(handle.value).toEqual({ a: 1 });
  });
});

describe("binding twice", () => {
  it("the same object again → the same handle; a different object with the same id → collision", async () => {
    const checkpoint = new Checkpoint("twice", { store: await freshStore(), env });
    await checkpoint.run(async () => {
      const value = { count: 0 };
      const handle = bindCheckpointState(Counter, value);
      expect(bindCheckpointState(Counter, value)).toBe(handle);
      expect(bindCheckpointState(handle)).toBe(handle);
      expect(() => bindCheckpointState(Counter, { count: 0 })).toThrow(
        "demo.Counter was registered more than once in this checkpoint session.",
      );
    });
  });

  it("a reusable pending binding (left by an ended session) is replaced once, outside a session too", async () => {
    const checkpoint = new Checkpoint("reuse-pending", { store: await freshStore(), warn: () => {}, env });
    const first = { count: 1 };
    await checkpoint.run(async (session) => {
      bindCheckpointState(Counter, first);
      await session.write();
    });
    const second = { count: 2 };
    const handle = bindCheckpointState(Counter, second); // replaces the reusable one
    expect(handle.value).toBe(second);
    expect(() => bindCheckpointState(Counter, { count: 3 })).toThrow(CheckpointStateCollisionError);
    await checkpoint.run(async (session) => {
      expect(second.count).toBe(1); // restored from the row the first object committed
      expect(session.bind(Counter, second)).toBe(handle);
    });
  });

  it("pending for a checkpoint: a second object is a collision too", async () => {
    new Checkpoint("pending-twice", { store: await freshStore(), env });
    bindCheckpointState(Counter, { count: 1 });
    expect(() => bindCheckpointState(Counter, { count: 2 })).toThrow(CheckpointStateCollisionError);
  });
});

describe("restore checks come before any field changes", () => {
  it("a different schema under the same id is CheckpointStateSchemaError, the live object untouched", async () => {
    const store = await freshStore();
    await new Checkpoint("schema", { store, env }).run(async (session) => {
      bindCheckpointState(Counter, { count: 4 });
      await session.write();
    });
    const Changed = checkpointState("demo.Counter", z.object({ count: z.string() }));
    await new Checkpoint("schema", { store, env }).run(async () => {
      const value = { count: "unchanged" };
      expect(() => bindCheckpointState(Changed, value)).toThrow(CheckpointStateSchemaError);
      expect(value.count).toBe("unchanged");
    });
  });
});

describe("late adoption warns", () => {
  it("a state bound before a session that restores an existing row is restored with a warning", async () => {
    const store = await freshStore();
    await new Checkpoint("late", { store, env }).run(async (session) => {
      bindCheckpointState(Counter, { count: 8 });
      await session.write();
    });
    const { list, warn } = warnings();
    const checkpoint = new Checkpoint("late", { store, warn, env });
    const value = { count: 0 };
    const handle = bindCheckpointState(Counter, value);
    expect(value.count).toBe(0);
    await checkpoint.run(async () => {
      expect(value.count).toBe(8);
      expect(handle.checkpointStateLoaded).toBe(true);
    });
    expect(list.join("\n")).toContain("bound before an existing checkpoint session");
  });

  it("no warning when the session is new", async () => {
    const { list, warn } = warnings();
    const checkpoint = new Checkpoint("early", { store: await freshStore(), warn, env });
    bindCheckpointState(Counter, { count: 0 });
    await checkpoint.run(() => undefined);
    expect(list).toEqual([]);
  });
});

describe("handle properties are read-only views", () => {
  it("reports the session and refuses assignment to every property", async () => {
    const checkpoint = new Checkpoint("handle", {
      store: await freshStore(),
      flushInterval: 3,
      level: 1,
      device: "cuda:0",
      env,
    });
    await checkpoint.run(
      async (session) => {
        const handle = bindCheckpointState(Counter, { count: 0 });
        expect(handle.checkpointEnabled).toBe(true);
        expect(handle.checkpointLevel).toBe(1);
        expect(handle.device).toBe("cuda:0");
        expect(handle.checkpointFlushInterval).toBe(3);
        expect(handle.checkpointIsFlushDue).toBe(false); // (0 + 1) % 3
        await session.write({ leadTime: 6 });
        expect(handle.checkpointWriteCount).toBe(1);
      },
      { labels: { member: 1 } },
    );
    await checkpoint.run(
      async (session) => {
        const handle = bindCheckpointState(Counter, { count: 0 });
        while (session.writeCount % 3 !== 2) await session.write({ leadTime: 6 });
        expect(handle.checkpointIsFlushDue).toBe(true);
        await session.write({ leadTime: 12 }); // commits
        expect(handle.checkpointIsFlushDue).toBe(false);
        expect(handle.checkpointSelected).toBe(true);
        expect(handle.checkpointLeadTime).toBe(12);
        expect(handle.checkpointMetadata).toEqual({ leadTime: 12 });
        expect(handle.checkpointLabels).toEqual({ member: 1 });
        for (const name of [
          "value",
          "checkpointEnabled",
          "checkpointLevel",
          "device",
          "checkpointFlushInterval",
          "checkpointWriteCount",
          "checkpointIsFlushDue",
          "checkpointSelected",
          "checkpointStateLoaded",
          "checkpointLeadTime",
          "checkpointMetadata",
          "checkpointLabels",
        ])
          expect(() => {
            (handle as unknown as Record<string, unknown>)[name] = 1;
          }, name).toThrow(/read-only|Cannot/);
        expect(() => {
          (handle as unknown as Record<string, unknown>).other = 1;
        }).toThrow(TypeError);
      },
      { labels: { member: 1 } },
    );
  });
});

describe("session members", () => {
  it("exists, isActive, commitId, device, labels, writeCount, metadata, leadTime, metadataValue, artifact(s)", async () => {
    const checkpoint = new Checkpoint("members", { store: await freshStore(), device: "cuda:2", env });
    const fresh = await checkpoint.open();
    expect(fresh).toBeInstanceOf(CheckpointSession);
    expect([fresh.exists, fresh.isActive, fresh.commitId, fresh.device]).toEqual([
      false,
      false,
      undefined,
      "cuda:2",
    ]);
    expect(fresh.metadata).toEqual({});
    expect(fresh.leadTime).toBeUndefined();
    expect(() => fresh.commitFolder).toThrow("This checkpoint session does not exist.");
    await fresh.run(async (session) => {
      expect(session.isActive).toBe(true);
      await session.write({ leadTime: 18, completed: [1, 2] });
    });
    const latest = await checkpoint.select(-1);
    expect([latest.exists, latest.writeCount, latest.leadTime]).toEqual([true, 1, 18]);
    expect(latest.metadataValue("completed")).toEqual([1, 2]);
    expect(latest.artifact("completed")).toEqual([1, 2]);
    expect(latest.artifacts).toBe(latest.metadata);
    expect(() => latest.metadataValue("missing")).toThrow(
      "Metadata 'missing' not found in checkpoint session.",
    );
    expect(() => latest.metadataValue("missing")).toThrow(CheckpointSessionError);
  });
});

describe("NullCheckpoint", () => {
  it("is the no-op: not enabled, no row, level 0, write count 0, write/flush resolve undefined, run runs fn", async () => {
    const nothing = new NullCheckpoint();
    expect([nothing.enabled, nothing.exists, nothing.level, nothing.writeCount]).toEqual([
      false,
      false,
      0,
      0,
    ]);
    expect(await nothing.write({ leadTime: 6 })).toBeUndefined();
    expect(await nothing.flush()).toBeUndefined();
    expect(await nothing.run(async (session) => (session === nothing ? "ran" : "other"))).toBe("ran");
    expect(await nothing.catalog()).toEqual([]);
  });
});

describe("format()", () => {
  it("prints the header, then 'catalog: empty'", async () => {
    const checkpoint = new Checkpoint("show", { store: await freshStore(), env });
    const text = await checkpoint.format();
    expect(text.split("\n")).toEqual([
      'Checkpoint("show")',
      `location: ${checkpoint.location}`,
      "mode: overwrite",
      "level: 2",
      "rank: 0/1",
      "catalog: empty",
    ]);
  });

  it("prints a table: id, label keys, sorted metadata keys, writeCount, savedAt; durations in whole units", async () => {
    const checkpoint = new Checkpoint("table", { store: await freshStore(), mode: "append", env });
    await checkpoint.run((session) => session.write({ zeta: "z", leadTime: { milliseconds: 21_600_000 } }), {
      labels: { member: 1 },
    });
    await checkpoint.run((session) => session.write({ alpha: 1 }), { labels: { member: 22 } });
    const rows = await checkpoint.catalog();
    const lines = (await checkpoint.format()).split("\n");
    expect(lines[5]).toBe("");
    const header = lines[6]!;
    expect(header.split(/\s{2,}/)).toEqual([
      "id",
      "member",
      "alpha",
      "leadTime",
      "zeta",
      "writeCount",
      "savedAt",
    ]);
    expect(lines[7]!.split(/\s{2,}/)).toEqual(["0", "1", "6 hours", "z", "1", rows[0]!.savedAt]);
    expect(lines[8]!.split(/\s{2,}/)).toEqual(["1", "22", "1", "1", rows[1]!.savedAt]);
    // Left-justified columns, two spaces apart: every column starts at the same offset on each line.
    expect(lines[7]!.indexOf("6 hours")).toBe(header.indexOf("leadTime"));
    expect(formatDuration(90 * 60_000)).toBe("90 minutes");
    expect(formatDuration(2 * 86_400_000)).toBe("2 days");
  });
});

describe("a forecast loop resumes at its write count", () => {
  it("a run that crashes at step 5 resumes at step 5 with its full state", async () => {
    const store = await freshStore();
    const forecast = async (crashAt?: number) => {
      const checkpoint = new Checkpoint("forecast", { store, level: 2, env });
      const steps: number[] = [];
      await checkpoint.run(async (session) => {
        const state = bindCheckpointState(RngState, rng());
        for (let step = session.writeCount; step < 8; step++) {
          if (step === crashAt) throw new Error("killed");
          state.value.counter += 1;
          state.value.buffer[step % 3]! += step;
          steps.push(step);
          await session.write({ leadTime: step * 6 });
        }
        expect(state.value.counter).toBe(8);
        expect([...state.value.buffer]).toEqual([0 + 3 + 6, 1 + 4 + 7, 2 + 5]);
      });
      return steps;
    };
    await expect(forecast(5)).rejects.toThrow("killed");
    expect(await forecast()).toEqual([5, 6, 7]);
  });
});

describe("a forecast loop on disk: a file:// store opened from its URL", () => {
  it("resumes a crashed run from a temporary folder", async () => {
    const folder = await mkdtemp(join(tmpdir(), "ckpt-behaviour-"));
    try {
      const url = pathToFileURL(folder).href;
      const loop = async (crashAt?: number) => {
        const checkpoint = new Checkpoint("disk", { store: url, flushInterval: 2, env });
        const steps: number[] = [];
        try {
          await checkpoint.run(async (session) => {
            const state = bindCheckpointState(RngState, rng());
            for (let step = session.writeCount; step < 6; step++) {
              if (step === crashAt) throw new Error("killed");
              state.value.counter += 1;
              steps.push(step);
              await session.write({ leadTime: step * 6 });
            }
            expect(state.value.counter).toBe(6);
          });
        } finally {
          await checkpoint.close();
        }
        return steps;
      };
      await expect(loop(3)).rejects.toThrow("killed"); // steps 0-2 ran; writes 1-2 committed, write 3 pending
      expect(await loop()).toEqual([2, 3, 4, 5]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("an ensemble loop resumes at the first incomplete member", () => {
  it("completedMembers metadata lists the finished members", async () => {
    const store = await freshStore();
    const ensemble = async (crashAt?: number) => {
      const checkpoint = new Checkpoint("ensemble", { store, env });
      const ran: number[] = [];
      await checkpoint.run(async (session) => {
        const completed = (session.exists ? session.metadataValue("completedMembers") : []) as number[];
        for (let member = 0; member < 4; member++) {
          if (completed.includes(member)) continue;
          if (member === crashAt) throw new Error("killed");
          ran.push(member);
          completed.push(member);
          await session.write({ leadTime: 24, completedMembers: [...completed] });
        }
      });
      return ran;
    };
    await expect(ensemble(2)).rejects.toThrow("killed");
    expect(await ensemble()).toEqual([2, 3]);
  });
});

describe("a failed commit leaves the old catalog and no garbage after gc", () => {
  it("a commit that fails before its catalog swap is invisible; gc removes its objects", async () => {
    const store = new DenyingStore(await freshStore());
    const checkpoint = new Checkpoint("failed-commit", { store, env });
    await checkpoint.run(async (session) => {
      bindCheckpointState(RngState, rng());
      await session.write({ step: 1 });
    });
    const before = await checkpoint.catalog();
    store.inject({ at: 2, kind: "before", ops: ["put"] }, { at: 3, kind: "before", ops: ["put"] });
    store.inject(
      ...[4, 5, 6, 7, 8, 9, 10].map((at) => ({ at, kind: "before" as const, ops: ["put" as const] })),
    );
    const session = await checkpoint.open();
    await expect(session.write({ step: 2 })).rejects.toThrow();
    store.reset();
    expect((await checkpoint.catalog()).map((row) => row.commitId)).toEqual(
      before.map((row) => row.commitId),
    );
    await checkpoint.gc({ olderThan: 0 });
    const commits = new Set(
      (await keysUnder(store, "failed-commit/commits/")).map((key) => key.split("/")[2]),
    );
    expect([...commits]).toEqual(before.map((row) => row.commitId));
  });
});

describe("two writers never lose each other's rows", () => {
  it("interleaved commits with different labels all survive", async () => {
    const store = await freshStore();
    const a = new Checkpoint("two-writers", { store, mode: "append", env });
    const b = new Checkpoint("two-writers", { store, mode: "append", env });
    await Promise.all([
      a.run(
        async (session) => {
          for (let i = 0; i < 10; i++) await session.write({ i });
        },
        { labels: { writer: "a" } },
      ),
      b.run(
        async (session) => {
          for (let i = 0; i < 10; i++) await session.write({ i });
        },
        { labels: { writer: "b" } },
      ),
    ]);
    const rows = await a.catalog();
    expect(rows.filter((row) => row.labels.writer === "a")).toHaveLength(10);
    expect(rows.filter((row) => row.labels.writer === "b")).toHaveLength(10);
  });

  it("two concurrent runs of different checkpoints never see each other's session", async () => {
    const store = await freshStore();
    const left = new Checkpoint("left", { store, env });
    const right = new Checkpoint("right", { store, env });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: string[] = [];
    await Promise.all([
      left.run(async (session) => {
        await gate;
        const handle = bindCheckpointState(Counter, { count: 1 });
        seen.push(`left:${handle.checkpointEnabled && session.isActive && right.active === undefined}`);
        await session.write();
      }),
      right.run(async (session) => {
        release();
        await Promise.resolve();
        const handle = bindCheckpointState(checkpointState("demo.Right", z.object({ x: z.number() })), {
          x: 1,
        });
        seen.push(`right:${handle.checkpointEnabled && session.isActive && left.active === undefined}`);
        await session.write();
      }),
    ]);
    expect(seen.sort()).toEqual(["left:true", "right:true"]);
    expect((await left.catalog())[0]!.stateIds).toEqual(["demo.Counter"]);
    expect((await right.catalog())[0]!.stateIds).toEqual(["demo.Right"]);
  });
});

describe("damaged objects never restore silently", () => {
  it("a bit-flipped array is a CheckpointIntegrityError naming the key; verify: 'latest' falls back in append mode", async () => {
    const store = await freshStore();
    const { list, warn } = warnings();
    const checkpoint = new Checkpoint("damaged", { store, mode: "append", warn, env });
    await checkpoint.run(async (session) => {
      const state = bindCheckpointState(RngState, largeRng());
      await session.write({ step: 1 });
      state.value.counter = 2;
      // A changed array: the latest row stores its own copy (an unchanged one would be reused).
      state.value.buffer[0] = 2;
      await session.write({ step: 2 });
    });
    const [older, latest] = await checkpoint.catalog();
    const key = (await keysUnder(store, `damaged/commits/${latest!.commitId}/`)).find((k) =>
      k.endsWith(".npy"),
    )!;
    const bytes = new Uint8Array((await store.get(key)).bytes);
    bytes[bytes.length - 1]! ^= 0xff;
    await store.put(key, bytes);
    await expect(checkpoint.select(-1)).rejects.toThrow(CheckpointIntegrityError);
    await expect(checkpoint.select(-1)).rejects.toThrow(key);
    await expect(checkpoint.select(-1, { verify: "latest" })).rejects.toThrow(CheckpointIntegrityError);
    const fallback = await checkpoint.open({ verify: "latest" });
    expect(fallback.commitId).toBe(older!.commitId);
    expect(list.join("\n")).toContain(latest!.commitId);
    await expect(checkpoint.verify(latest!)).rejects.toThrow(key);
  });
});

describe("the catalog and metadata are not re-read on every access", () => {
  it("metadata of a selected row is decoded once, and reading it makes no store call", async () => {
    const store = new FaultyStore(await freshStore());
    const checkpoint = new Checkpoint("cached-metadata", { store, env });
    await checkpoint.run((session) => session.write({ leadTime: 6, list: [1, 2] }));
    const session = await checkpoint.select(-1);
    store.reset();
    const first = session.metadata;
    expect(session.metadata).toBe(first);
    expect(session.leadTime).toBe(6);
    expect(session.metadataValue("list")).toBe(session.metadataValue("list"));
    expect(store.calls).toEqual([]);
  });
});

describe("no silent loss", () => {
  it("a failed restore leaves the live object whole", async () => {
    const store = await freshStore();
    await new Checkpoint("failed-restore", { store, env }).run(async (session) => {
      bindCheckpointState(RngState, { seed: 5, counter: 5, buffer: new Float64Array([5, 5, 5]) });
      await session.write();
    });
    const Narrower = checkpointState("demo.RngState", z.object({ seed: z.number(), counter: z.number() }));
    await new Checkpoint("failed-restore", { store, env }).run(async () => {
      const value = { seed: 1, counter: 1 };
      expect(() => bindCheckpointState(Narrower, value)).toThrow(CheckpointStateSchemaError);
      expect(value).toEqual({ seed: 1, counter: 1 });
    });
  });
});

describe("ranks never share a folder by accident", () => {
  it("LOCAL_RANK alone is not a rank; RANK without WORLD_SIZE still writes under rank_NNNNNN", () => {
    const local = new Checkpoint("ranks", { store: "memory://unused", env: { LOCAL_RANK: "1" } });
    expect([local.rank, local.worldSize, local.root]).toEqual([0, 1, "ranks"]);
    const bare = new Checkpoint("ranks", { store: "memory://unused", env: { RANK: "3" } });
    expect([bare.rank, bare.worldSize, bare.root]).toEqual([3, undefined, "ranks/rank_000003"]);
    const explicit = new Checkpoint("ranks", { store: "memory://unused", env, rank: 2 });
    expect(explicit.root).toBe("ranks/rank_000002");
  });

  it("a rank without a size commits and formats as r/?", async () => {
    const checkpoint = new Checkpoint("rank-without-size", { store: await freshStore(), env: { RANK: "2" } });
    await checkpoint.run((session) => session.write());
    expect((await checkpoint.catalog())[0]!.rank).toBe(2);
    expect(await checkpoint.format()).toContain("rank: 2/?");
  });
});

describe("a commit's store calls do not grow with the number of scalar fields", () => {
  it("one state.json per state plus one .npy per array", async () => {
    const store = await freshStore();
    const Wide = checkpointState(
      "demo.Wide",
      z.object(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, z.number()]))),
    );
    const checkpoint = new Checkpoint("scalar-fields", { store, env });
    let commitId = "";
    await checkpoint.run(async (session) => {
      bindCheckpointState(Wide, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i])));
      commitId = (await session.write())!.commitId;
    });
    const keys = await keysUnder(store, `scalar-fields/commits/${commitId}/`);
    expect(keys.map((key) => key.slice(`scalar-fields/commits/${commitId}/`.length)).sort()).toEqual([
      "manifest.json",
      "states/demo.Wide/state.json",
    ]);
  });
});

describe("the verify option", () => {
  it("'all' checks every matching row: an explicit row fails, an implicit latest in append mode warns", async () => {
    const store = await freshStore();
    const { list, warn } = warnings();
    const checkpoint = new Checkpoint("verify-all", { store, mode: "append", warn, env });
    await checkpoint.run(async (session) => {
      const counter = bindCheckpointState(Counter, { count: 1 });
      await session.write({ step: 1 });
      // Changed, so each row stores its own state.json (an unchanged one would be reused).
      counter.value.count = 2;
      await session.write({ step: 2 });
    });
    const [older, latest] = await checkpoint.catalog();
    expect((await checkpoint.select(-1, { verify: "all" })).commitId).toBe(latest!.commitId);
    const stateKey = `verify-all/commits/${older!.commitId}/states/demo.Counter/state.json`;
    await store.delete([stateKey]);
    expect((await checkpoint.select(-1, { verify: "latest" })).commitId).toBe(latest!.commitId);
    await expect(checkpoint.select(-1, { verify: "all" })).rejects.toThrow(stateKey);
    const opened = await checkpoint.open({ verify: "all" });
    expect(opened.commitId).toBe(latest!.commitId);
    expect(list.join("\n")).toContain(older!.commitId);
    await expect(checkpoint.select(0, { verify: "bogus" as never })).rejects.toBeInstanceOf(
      CheckpointOptionError,
    );
  });

  it("overwrite mode never falls back: a damaged latest row is an error", async () => {
    const store = await freshStore();
    const checkpoint = new Checkpoint("verify-overwrite", { store, env });
    await checkpoint.run(async (session) => {
      bindCheckpointState(Counter, { count: 1 });
      await session.write();
    });
    const [entry] = await checkpoint.catalog();
    await store.delete([`verify-overwrite/commits/${entry!.commitId}/states/demo.Counter/state.json`]);
    await expect(checkpoint.open({ verify: "latest" })).rejects.toBeInstanceOf(CheckpointIntegrityError);
  });
});
