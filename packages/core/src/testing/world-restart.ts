import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bindCheckpointState } from "../binding.js";
import { Checkpoint } from "../checkpoint.js";
import { CheckpointWorldError, StoreError } from "../errors.js";
import { checkpointState } from "../state/index.js";
import { ForwardingStore, type StoreCall } from "../store/forwarding-store.js";
import { listAllArray } from "../store/index.js";
import type { Store } from "../store/types.js";
import { seededRandom } from "./seeded-random.js";
import { stepBarrier } from "./step-barrier.js";

const RankState = checkpointState(
  "world.RankState",
  z.object({ rank: z.number(), step: z.number(), values: z.instanceof(Float64Array) }),
);

/** A rank's state after `step` steps: different for every rank and step (8 KiB: its own .npy). */
function stateAt(rank: number, step: number) {
  const values = new Float64Array(1024);
  for (let i = 0; i < values.length; i++) values[i] = rank * 1e6 + step * 1e3 + i;
  return { rank, step, values };
}

class Killed extends Error {}

interface RoundResult {
  /** writeCount each rank resumed from, and whether its restored state was its own at that step. */
  readonly resumed: number[];
  readonly ownState: boolean[];
  /** The last writeCount each rank committed (acknowledged) before the job died. */
  readonly acknowledged: number[];
}

/**
 * One life of the job: every rank opens the checkpoint (a world restart), steps in lockstep up to
 * `killStep`, where the ranks in `killed` die before their commit and the others commit, then the
 * whole job dies. `store(rank)` is the store a rank sees.
 */
async function life(
  store: (rank: number) => Store,
  worldSize: number,
  killStep: number,
  killed: ReadonlySet<number>,
  options: {
    restart?: "world" | "rank";
    mode?: "append" | "overwrite";
    warnings?: string[];
    /** Every rank dies right after its restart, before the first step. */
    restartOnly?: boolean;
  } = {},
): Promise<RoundResult> {
  const resumed: number[] = [];
  const ownState: boolean[] = [];
  const acknowledged: number[] = [];
  const atStep = stepBarrier(worldSize);
  await Promise.all(
    Array.from({ length: worldSize }, async (_, rank) => {
      const checkpoint = new Checkpoint("job", {
        store: store(rank),
        rank,
        worldSize,
        env: {},
        restart: options.restart,
        mode: options.mode,
        warn: (message) => options.warnings?.push(message),
      });
      await checkpoint
        .run(async (session) => {
          const state = bindCheckpointState(RankState, stateAt(rank, 0));
          resumed[rank] = session.writeCount;
          const expected = stateAt(rank, session.writeCount);
          ownState[rank] =
            state.value.rank === rank &&
            state.value.step === session.writeCount &&
            state.value.values.every((value, i) => value === expected.values[i]);
          acknowledged[rank] = session.writeCount;
          if (options.restartOnly) throw new Killed();
          for (let step = session.writeCount + 1; ; step++) {
            await atStep(step);
            if (step === killStep && killed.has(rank)) throw new Killed();
            state.value.step = step;
            state.value.values.set(stateAt(rank, step).values);
            await session.write({ step });
            acknowledged[rank] = step;
            if (step >= killStep) throw new Killed();
          }
        })
        .catch((error: unknown) => {
          if (
            !(error instanceof Killed) &&
            !(error instanceof Error && error.message.includes("killed mid-commit"))
          )
            throw error;
        });
    }),
  );
  return { resumed, ownState, acknowledged };
}

/** Options of {@link describeWorldRestart}. */
export interface WorldRestartOptions {
  /** Names the suite, e.g. `"S3Store on radosgw"`. */
  readonly name: string;
  /** A fresh, empty store for one test. */
  create(): Promise<Store>;
  /** Cleans a store up after its test (before `close`). */
  destroy?(store: Store): Promise<void>;
}

/**
 * A store whose puts of one key fail, as when a process dies between its manifest and its catalog
 * swap. `definite`: with an answer no retry changes (access denied), so a rank stops at once.
 */
class FailingPut extends ForwardingStore {
  readonly #key: string;
  readonly #definite: boolean;
  constructor(inner: Store, key: string, definite = false) {
    super(inner);
    this.#key = key;
    this.#definite = definite;
  }
  protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op === "put" && call.key === this.#key)
      return Promise.reject(
        this.#definite
          ? new StoreError("E_ACCESS_DENIED", "killed mid-commit", { key: call.key })
          : new Error("killed mid-commit"),
      );
    return run();
  }
}

/** Resolves `done` once a catalog.json under each of `roots` was read through it. */
class ScanWatch extends ForwardingStore {
  readonly done: Promise<void>;
  readonly #pending: Set<string>;
  #resolve!: () => void;
  constructor(inner: Store, roots: readonly string[]) {
    super(inner);
    this.#pending = new Set(roots);
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }
  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    const result = await run();
    if (call.op === "get" && call.key.endsWith("/catalog.json")) {
      for (const root of this.#pending) if (call.key.startsWith(root)) this.#pending.delete(root);
      if (this.#pending.size === 0) this.#resolve();
    }
    return result;
  }
}

/** Holds every catalog.json put until `gate` resolves. */
class HeldCatalogPuts extends ForwardingStore {
  readonly #gate: Promise<void>;
  constructor(inner: Store, gate: Promise<void>) {
    super(inner);
    this.#gate = gate;
  }
  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op === "put" && call.key.endsWith("/catalog.json")) await this.#gate;
    return run();
  }
}

/**
 * World-consistent restarts on a given store (DESIGN §6): the ranks of a coupled job, as in-process
 * checkpoints with distinct `rank` options stepping in lockstep (a barrier per step, as a
 * collective would make), are killed at different moments (before a commit, in the middle of one)
 * and the world restarts: every rank resumes at the same writeCount, the newest boundary every
 * rank acknowledged, with exactly its own state at that boundary. Also: a damaged rank catalog,
 * append mode, a world with no boundary yet, a changed world size, ranks that drifted apart.
 *
 * @example
 * describeWorldRestart({ name: "my store", create: async () => new MyStore() });
 */
export function describeWorldRestart(options: WorldRestartOptions): void {
  describe(`world-consistent restart: ${options.name}`, () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) {
        await options.destroy?.(store);
        await store.close?.();
      }
    });
    const open = async (): Promise<Store> => {
      const store = await options.create();
      stores.push(store);
      return store;
    };
    const worldSize = 4;

    it("after random kills of random ranks, every rank resumes at the newest boundary all acknowledged, with its own state", async () => {
      const store = await open();
      const next = seededRandom(15);
      let previous: RoundResult | undefined;
      for (let round = 0; round < 8; round++) {
        const start = previous === undefined ? 0 : Math.min(...previous.acknowledged);
        const killStep = start + 1 + Math.floor(next() * 3);
        const killed = new Set(
          Array.from({ length: worldSize }, (_, rank) => rank).filter(() => next() < 0.4),
        );
        const result = await life(() => store, worldSize, killStep, killed);
        const expectedStart = previous === undefined ? 0 : Math.min(...previous.acknowledged);
        expect(result.resumed, `round ${round}`).toEqual(Array(worldSize).fill(expectedStart));
        expect(result.ownState, `round ${round}`).toEqual(Array(worldSize).fill(true));
        previous = result;
      }
      // The last life's kills are resumed from too.
      const last = await life(() => store, worldSize, Math.min(...previous!.acknowledged) + 1, new Set());
      expect(last.resumed).toEqual(Array(worldSize).fill(Math.min(...previous!.acknowledged)));
      expect(last.ownState).toEqual(Array(worldSize).fill(true));
    });

    it("per-rank restarts diverge where world restarts do not (the same kills)", async () => {
      const store = await open();
      await life(() => store, worldSize, 3, new Set([1, 2]));
      const perRank = await Promise.all(
        [0, 1, 2, 3].map(async (rank) => {
          const checkpoint = new Checkpoint("job", { store, rank, worldSize, env: {}, restart: "rank" });
          return (await checkpoint.open()).writeCount;
        }),
      );
      expect(perRank).toEqual([3, 2, 2, 3]);
      const worldStore = await open();
      await life(() => worldStore, worldSize, 3, new Set([1, 2]));
      const world = await life(() => worldStore, worldSize, 4, new Set());
      expect(world.resumed).toEqual([2, 2, 2, 2]);
      expect(world.ownState).toEqual([true, true, true, true]);
    });

    it("a rank killed in the middle of its commit (manifest written, catalog not swapped): the older boundary", async () => {
      const base = await open();
      await life(() => base, worldSize, 2, new Set());
      // Rank 3's catalog swap of step 4 never lands, as when its process dies between manifest and catalog.
      const dying = new FailingPut(base, "job/rank_000003/catalog.json");
      const result = await life((rank) => (rank === 3 ? dying : base), worldSize, 3, new Set());
      expect(result.acknowledged).toEqual([3, 3, 3, 2]);
      const listed = await listAllArray(base, "job/rank_000003/commits/");
      expect(listed.some((info) => info.key.includes("commit_00000003_"))).toBe(true);
      const restarted = await life(() => base, worldSize, 3, new Set());
      expect(restarted.resumed).toEqual([2, 2, 2, 2]);
      expect(restarted.ownState).toEqual([true, true, true, true]);
      // Re-committing step 3 keeps the two boundaries below it on every rank, as the world may still need them.
      const rows = await new Checkpoint("job", { store: base, rank: 0, worldSize, env: {} }).catalog();
      expect(rows.map((row) => row.writeCount)).toEqual([1, 2, 3]);
    });

    it("a rank whose catalog is damaged: its rows are rebuilt from manifests in memory and the world resumes", async () => {
      const store = await open();
      await life(() => store, worldSize, 5, new Set([2]));
      await store.put("job/rank_000001/catalog.json", new TextEncoder().encode("{ not json"));
      const warnings: string[] = [];
      const result = await life(() => store, worldSize, 5, new Set(), { warnings });
      expect(result.resumed).toEqual([4, 4, 4, 4]);
      expect(result.ownState).toEqual([true, true, true, true]);
      expect(warnings.join("\n")).toMatch(/rank_000001/);
    });

    it("a rolled-back row does not come back when its rank's catalog is rebuilt from manifests", async () => {
      const store = await open();
      // Rank 0 alone commits step 3; the world rolls back to 2 and rank 0 retires its row 3.
      await life(() => store, worldSize, 3, new Set([1, 2, 3]));
      // The others commit step 3 again; rank 0 dies before it does.
      const second = await life(() => store, worldSize, 3, new Set([0]));
      expect(second.resumed).toEqual([2, 2, 2, 2]);
      expect(second.acknowledged).toEqual([2, 3, 3, 3]);
      await store.delete(["job/rank_000000/catalog.json"]);
      // Rank 0 never committed step 3 in the life the world went on with: 3 is not a boundary.
      const result = await life(() => store, worldSize, 3, new Set(), { warnings: [] });
      expect(result.resumed).toEqual([2, 2, 2, 2]);
      expect(result.ownState).toEqual([true, true, true, true]);
    });

    it("a missing, damaged, stale or foreign world marker costs a catalog scan, never a wrong boundary", async () => {
      const store = await open();
      await life(() => store, worldSize, 3, new Set([2]));
      const first = await life(() => store, worldSize, 4, new Set([1]));
      expect(first.resumed).toEqual([2, 2, 2, 2]);
      const marker = await store.get("job/world.json");
      expect(JSON.parse(new TextDecoder().decode(marker.bytes))).toMatchObject({
        format: "ckpt.world",
        worldSize,
        entries: [{ selection: null, writeCount: 2 }],
      });
      // Stale: the world went on to 3 (rank 1 killed at 4) since the marker said 2.
      const stale = await life(() => store, worldSize, 5, new Set());
      expect(stale.resumed).toEqual([3, 3, 3, 3]);
      await store.put("job/world.json", new TextEncoder().encode("{ not json"));
      const damaged = await life(() => store, worldSize, 6, new Set([0]));
      expect(damaged.resumed).toEqual([5, 5, 5, 5]);
      const foreign = JSON.parse(new TextDecoder().decode((await store.get("job/world.json")).bytes));
      await store.put(
        "job/world.json",
        new TextEncoder().encode(JSON.stringify({ ...foreign, worldSize: 2, entries: [] })),
      );
      const other = await life(() => store, worldSize, 7, new Set());
      expect(other.resumed).toEqual([5, 5, 5, 5]);
      await store.delete(["job/world.json"]);
      const missing = await life(() => store, worldSize, 8, new Set());
      expect(missing.resumed).toEqual([7, 7, 7, 7]);
      expect(missing.ownState).toEqual([true, true, true, true]);
    });

    it("ranks killed before retiring their rolled-back rows, then another rank's catalog rebuilt: one boundary for all", async () => {
      const store = await open();
      await life(() => store, worldSize, 2, new Set());
      // Rank 0 dies between its manifest and its catalog swap of step 3; the others commit 3.
      const dying = new FailingPut(store, "job/rank_000000/catalog.json");
      const first = await life((rank) => (rank === 0 ? dying : store), worldSize, 3, new Set());
      expect(first.acknowledged).toEqual([2, 3, 3, 3]);
      // The restart chooses 2 (rank 0 records it in the marker); ranks 1-3 die before they retire
      // their rows of step 3.
      const stuck = [1, 2, 3].map(
        (rank) => new FailingPut(store, `job/rank_00000${rank}/catalog.json`, true),
      );
      await life((rank) => (rank === 0 ? store : stuck[rank - 1]!), worldSize, 3, new Set(), {
        restartOnly: true,
      });
      // Rank 0's catalog is lost: its rebuild from manifests holds step 3, which it never committed.
      await store.delete(["job/rank_000000/catalog.json"]);
      // Ranks 1-3 (from the marker) retire their rows of step 3 only once rank 0 read their catalogs.
      const scanned = new ScanWatch(store, ["job/rank_000001/", "job/rank_000002/", "job/rank_000003/"]);
      const held = new HeldCatalogPuts(store, scanned.done);
      const result = await life((rank) => (rank === 0 ? scanned : held), worldSize, 4, new Set(), {
        warnings: [],
        restartOnly: true,
      });
      // One boundary for every rank (rank 0's step 3 is whole: its manifest lists every object).
      expect(new Set(result.resumed).size, String(result.resumed)).toBe(1);
      expect(result.resumed[0]).toBeGreaterThanOrEqual(2);
      expect(result.ownState).toEqual([true, true, true, true]);
    });

    it("append mode: the world boundary is found among the history; rows above it are retired", async () => {
      const store = await open();
      await life(() => store, worldSize, 4, new Set([0]), { mode: "append" });
      const result = await life(() => store, worldSize, 6, new Set(), { mode: "append" });
      expect(result.resumed).toEqual([3, 3, 3, 3]);
      expect(result.ownState).toEqual([true, true, true, true]);
    });

    it("a world that never completed a boundary starts afresh on every rank, with a warning", async () => {
      const store = await open();
      await life(() => store, worldSize, 1, new Set([2]));
      const warnings: string[] = [];
      const result = await life(() => store, worldSize, 2, new Set(), { warnings });
      expect(result.resumed).toEqual([0, 0, 0, 0]);
      expect(warnings.join("\n")).toMatch(
        /no write boundary is complete on every rank \(rank 2 holds no row\)/,
      );
    });

    it("another world size is refused with a typed error naming both sizes, before anything is written", async () => {
      const store = await open();
      await life(() => store, worldSize, 2, new Set());
      const before = JSON.stringify(await listAllArray(store, "job/"));
      const smaller = new Checkpoint("job", { store, rank: 0, worldSize: 2, env: {} });
      const error = await smaller.open().catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(CheckpointWorldError);
      expect(error).toMatchObject({ code: "E_WORLD", worldSize: 2, recordedWorldSize: 4 });
      expect((error as Error).message).toMatch(/world of 4 ranks, but this run has worldSize 2/);
      expect(JSON.stringify(await listAllArray(store, "job/"))).toBe(before);
    });

    it("ranks that drifted more than one boundary apart (no barrier): a typed error, never a silent divergence", async () => {
      const store = await open();
      const ranks = [0, 1].map(
        (rank) => new Checkpoint("drift", { store, rank, worldSize: 2, env: {}, warn: () => {} }),
      );
      await ranks[1]!.run((session) => session.write({}));
      await ranks[0]!.run(async (session) => {
        for (let step = 0; step < 4; step++) await session.write({});
      });
      const error = await ranks[1]!.open().catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(CheckpointWorldError);
      expect((error as Error).message).toMatch(/newest: rank 0 at 4, rank 1 at 1/);
    });

    it("an explicit row is taken as asked; a world restart retires the rank's rows above the boundary", async () => {
      const store = await open();
      await life(() => store, worldSize, 3, new Set([1]));
      const rank0 = new Checkpoint("job", { store, rank: 0, worldSize, env: {} });
      expect((await rank0.select(-1)).writeCount).toBe(3);
      expect((await rank0.open({ restart: "rank" })).writeCount).toBe(3);
      expect((await rank0.catalog()).map((row) => row.writeCount)).toEqual([1, 2, 3]);
      expect((await rank0.open()).writeCount).toBe(2);
      expect((await rank0.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
    });
  });
}
