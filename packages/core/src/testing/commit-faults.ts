import { describe, expect, it } from "vitest";
import { CatalogClient, type CatalogOptions, type CommitRequest } from "../commit/catalog-client.js";
import { objectStoreKey } from "../commit/manifest.js";
import { applyRowChange } from "../commit/row-change.js";
import { listAllArray } from "../store/list.js";
import type { Store } from "../store/types.js";
import { type FaultKind, FaultyStore } from "./faulty-store.js";

/** Options of {@link describeCommitProtocolFaults}. */
export interface CommitFaultOptions {
  name: string;
  /** A fresh, EMPTY store for each call (e.g. a unique prefix/folder). */
  create(): Promise<Store>;
  /** Optional clean-up of each store. */
  destroy?(store: Store): Promise<void>;
  /** Per-test timeout in ms (each test runs a commit once per store call). Default 300,000. */
  timeout?: number;
}

const KINDS: readonly FaultKind[] = ["before", "after", "lose-response"];
/** More calls than any scenario makes; the loop stops at the first index no call reaches. */
const MAX_CALLS = 40;

interface Scenario {
  readonly title: string;
  readonly options: Pick<CatalogOptions, "root" | "mode" | "historySize">;
  /** Brings the checkpoint (and the client's cache) to the state before the commit under test. */
  setup(client: CatalogClient, other: CatalogClient): Promise<void>;
  readonly request: CommitRequest;
  /** Objects of the request that an incremental commit reuses instead of putting. */
  readonly reused?: number;
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `unchangedField`: the field's bytes do not depend on the write, so a later commit reuses them. */
function commitRequest(
  writeCount: number,
  labels: CommitRequest["labels"],
  unchangedField = false,
): CommitRequest {
  const objects = ["state.json", "field.npy"].map((name) => {
    const body = bytes(
      unchangedField && name === "field.npy"
        ? `${name}, constant ${JSON.stringify(labels)}`
        : `${name} of write ${writeCount} ${JSON.stringify(labels)}`,
    );
    return {
      key: `states/demo.State/${name}`,
      chunks: [body.subarray(0, 5), body.subarray(5)],
      size: body.length,
    };
  });
  return {
    writeCount,
    labels,
    metadata: { leadTime: writeCount * 6 },
    states: { "demo.State": { path: "states/demo.State", schemaHash: "hash" } },
    objects,
  };
}

const scenarios: readonly Scenario[] = [
  {
    title: "first commit into an empty checkpoint (create-only catalog)",
    options: { root: "faults", mode: "append", historySize: null },
    setup: async (client) => {
      await client.rows();
    },
    request: commitRequest(1, {}),
  },
  {
    title: "overwrite of a row with equal labels (retired commit deleted)",
    options: { root: "faults/rank_000001", mode: "overwrite", historySize: null },
    setup: async (client) => {
      await client.commit(commitRequest(1, { member: 1 }));
      await client.commit(commitRequest(1, { member: 2 }));
    },
    request: commitRequest(2, { member: 1 }),
  },
  {
    title: "overwrite reusing an unchanged object of the row it retires (incremental)",
    options: { root: "faults/rank_000002", mode: "overwrite", historySize: null },
    setup: async (client) => {
      await client.commit(commitRequest(1, { member: 1 }, true));
    },
    request: commitRequest(2, { member: 1 }, true),
    reused: 1,
  },
  {
    title: "commit after another writer intervened (conflict, re-read, trim another writer's row)",
    options: { root: "faults", mode: "append", historySize: 2 },
    setup: async (client, other) => {
      await client.rows();
      await other.commit(commitRequest(1, { group: "g" }));
      await other.commit(commitRequest(2, { group: "g" }));
    },
    request: commitRequest(3, { group: "g" }),
  },
];

/**
 * Declares (inside a vitest file) the commit protocol's fault tests for a store: for every store
 * call k of a commit and each fault kind (`before`, `after`, `lose-response`), failing call k
 * leaves a catalog that reads as exactly the old rows or exactly the new rows; a later commit and
 * a verified read of every row succeed; `gc({ olderThan: 0 })` then leaves no unreferenced
 * commit object behind. Scenarios: a first commit, an overwrite that retires a commit, and a
 * commit that loses a compare-and-swap to another writer.
 *
 * @example
 * describeCommitProtocolFaults({ name: "FsStore on memfs", create: async () => new FsStore({ ... }) });
 */
export function describeCommitProtocolFaults(options: CommitFaultOptions): void {
  describe(`commit protocol under faults: ${options.name}`, () => {
    for (const scenario of scenarios)
      for (const kind of KINDS)
        it(
          `${scenario.title}: every call failing "${kind}"`,
          async () => {
            let reached = 0;
            for (let at = 1; at <= MAX_CALLS; at++) {
              const fired = await runOnce(options, scenario, kind, at);
              if (!fired) break;
              reached = at;
            }
            // Each scenario makes several store calls; a fault must have fired on each of them.
            expect(reached).toBeGreaterThanOrEqual(
              scenario.request.objects.length - (scenario.reused ?? 0) + 2,
            );
          },
          options.timeout ?? 300_000,
        );
  });
}

/** One run with call `at` failing; resolves to whether the fault fired (false: fewer calls). */
async function runOnce(
  options: CommitFaultOptions,
  scenario: Scenario,
  kind: FaultKind,
  at: number,
): Promise<boolean> {
  const inner = await options.create();
  try {
    const faulty = new FaultyStore(inner);
    const make = (store: Store) =>
      new CatalogClient({
        store,
        checkpoint: "faults",
        ...scenario.options,
        rank: 0,
        worldSize: 1,
        level: 2,
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        warn: () => {},
      });
    const client = make(faulty);
    await scenario.setup(client, make(inner));
    const old = await make(inner).rows();

    faulty.reset();
    faulty.inject({ at, kind });
    const outcome = await client.commit(scenario.request).then(
      (row) => ({ row }),
      (error: unknown) => ({ error }),
    );
    const fired = faulty.calls.some((call) => call.fault !== undefined);
    const log = faulty.calls.map((call) => `${call.op}${call.fault ? `!${call.fault}` : ""} ${call.key}`);
    faulty.reset();
    const where = `call ${at} failing "${kind}"; calls: ${JSON.stringify(log, null, 1)}; outcome: ${
      "error" in outcome ? String(outcome.error) : "committed"
    }`;

    // The catalog reads as exactly the old rows or exactly the new rows.
    const after = await make(inner).rows();
    const added = after.filter((row) => !old.some((existing) => existing.commitId === row.commitId));
    if (added.length === 0) {
      expect(after, `the catalog must be the old rows (${where})`).toEqual(old);
      expect("row" in outcome, `a commit that resolved must be in the catalog (${where})`).toBe(false);
    } else {
      expect(added, `at most one new row (${where})`).toHaveLength(1);
      const row = added[0]!;
      expect(row, `the new row is the commit's (${where})`).toMatchObject({
        writeCount: scenario.request.writeCount,
        labels: scenario.request.labels,
      });
      if ("row" in outcome)
        expect(row, `the resolved row is the committed one (${where})`).toEqual(outcome.row);
      const policy = {
        mode: scenario.options.mode ?? "overwrite",
        historySize: scenario.options.historySize ?? null,
      };
      expect(after, `the catalog must be the old rows plus exactly this change (${where})`).toEqual(
        applyRowChange(old, row, policy).rows,
      );
    }
    // A single fault is always recovered: retries and read-back resolve it.
    expect("row" in outcome, `the commit must survive one fault (${where})`).toBe(true);

    // A later commit and a verified read succeed.
    const next = await client.commit({ ...scenario.request, writeCount: scenario.request.writeCount + 1 });
    const reader = make(inner);
    const rows = await reader.rows();
    expect(
      rows.map((row) => row.commitId),
      where,
    ).toContain(next.commitId);
    for (const row of rows) await reader.verify(row);

    // gc then leaves no unreferenced commit object (a row references its manifest and the objects
    // it lists, in its own folder or, reused, in an earlier commit's).
    await reader.gc({ olderThan: 0 });
    const kept = await reader.rows();
    const referenced = new Set<string>();
    for (const row of kept) {
      referenced.add(`${reader.commitFolder(row.commitId)}/manifest.json`);
      for (const entry of (await reader.manifest(row)).objects)
        referenced.add(objectStoreKey(reader.root, row.commitId, entry));
    }
    for (const info of await listAllArray(inner, `${scenario.options.root}/commits/`))
      expect(referenced.has(info.key), `unreferenced ${info.key} after gc (${where})`).toBe(true);
    for (const row of kept) await reader.verify(row);
    return fired;
  } finally {
    await options.destroy?.(inner);
    await inner.close?.();
  }
}
