/**
 * The `verify` option of select/open/run (off, latest, all) and the fallback: when the latest row
 * fails verification or its restore (whatever the verify mode) and no explicit row was asked
 * for, the newest row that restores is used, with a warning naming the damaged row. Elsewhere the
 * typed error names the key.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checkpoint, type CheckpointEntry, type CheckpointSession, CkptError, type Store } from "@ckpt/core";
import { FsStore } from "@ckpt/store-fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { overwrite, rowKeys, snapshot } from "./support/store-tools.js";
import { commitFieldRows, Field, fieldProblem, initialField } from "./support/workload.js";

const NAME = "verify";
let dir: string;
let store: Store;
let rows: readonly CheckpointEntry[];

async function commitRows(count: number, mode: "append" | "overwrite"): Promise<void> {
  rows = await commitFieldRows(store, NAME, count, mode);
}

async function flipByte(key: string): Promise<void> {
  const bytes = new Uint8Array((await store.get(key)).bytes);
  bytes[bytes.byteLength - 1]! ^= 0xff;
  await overwrite(store, key, bytes);
}

function restoredWrite(session: CheckpointSession): number {
  const field = session.bind(Field, initialField());
  expect(fieldProblem(field.value, session.writeCount)).toBeUndefined();
  return session.writeCount;
}

function reader(mode: "append" | "overwrite" = "append") {
  const warnings: string[] = [];
  return { checkpoint: new Checkpoint(NAME, { store, mode, warn: (m) => warnings.push(m) }), warnings };
}

async function failure(promise: Promise<unknown>): Promise<CkptError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CkptError);
  return error as CkptError;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-reliability-verify-"));
  store = new FsStore({ root: dir });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("verify option, append mode, latest row damaged", () => {
  let damagedKey: string;
  let before: Record<string, string>;
  beforeEach(async () => {
    await commitRows(3, "append");
    damagedKey = rowKeys(NAME, rows[2]!).npy("c");
    await flipByte(damagedKey);
    before = await snapshot(store);
  });
  afterEach(async () => {
    expect(await snapshot(store)).toEqual(before);
  });

  it("off: the restore itself finds the damaged object and falls back, warning with its key", async () => {
    const { checkpoint, warnings } = reader();
    const session = await checkpoint.select(undefined, { verify: "off" });
    expect(session.commitId).toBe(rows[1]!.commitId);
    expect(restoredWrite(session)).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(rows[2]!.commitId);
    expect(warnings[0]).toContain(damagedKey);
  });

  for (const verify of ["latest", "all"] as const)
    it(`${verify}: falls back to the newest row that verifies, warning with the damaged row's id`, async () => {
      const { checkpoint, warnings } = reader();
      const session = await checkpoint.select(undefined, { verify });
      expect(session.commitId).toBe(rows[1]!.commitId);
      expect(restoredWrite(session)).toBe(2);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(rows[2]!.commitId);
      expect(warnings[0]).toContain(damagedKey);
    });

  it("open() and run() take the same option and the same fallback", async () => {
    const { checkpoint, warnings } = reader();
    expect((await checkpoint.open({ verify: "latest" })).commitId).toBe(rows[1]!.commitId);
    const seen = await checkpoint.run((session) => session.writeCount, { verify: "latest" });
    expect(seen).toBe(2);
    expect(warnings.every((warning) => warning.includes(rows[2]!.commitId))).toBe(true);
  });

  it("an explicit row does not fall back: E_INTEGRITY naming the key", async () => {
    const { checkpoint } = reader();
    const error = await failure(checkpoint.select(-1, { verify: "latest" }));
    expect(error.code).toBe("E_INTEGRITY");
    expect(error.message).toContain(damagedKey);
  });

  it("all: a damaged older row is reported too, and the newest good row still used", async () => {
    await flipByte(rowKeys(NAME, rows[1]!).npy("a"));
    before = await snapshot(store);
    const { checkpoint, warnings } = reader();
    const session = await checkpoint.select(undefined, { verify: "all" });
    expect(session.commitId).toBe(rows[0]!.commitId);
    expect(restoredWrite(session)).toBe(1);
    expect(warnings[0]).toContain(rows[2]!.commitId);
    expect(warnings[0]).toContain(rows[1]!.commitId);
  });

  it("every row damaged: the error, no row", async () => {
    for (const row of rows.slice(0, 2)) await flipByte(rowKeys(NAME, row).npy("b"));
    before = await snapshot(store);
    const { checkpoint } = reader();
    expect((await failure(checkpoint.select(undefined, { verify: "all" }))).code).toBe("E_INTEGRITY");
  });
});

describe("verify option elsewhere", () => {
  it("overwrite mode with one label set has no older row to fall back to: E_INTEGRITY naming the key", async () => {
    await commitRows(3, "overwrite");
    const key = rowKeys(NAME, rows.at(-1)!).npy("a");
    await flipByte(key);
    const { checkpoint, warnings } = reader("overwrite");
    const error = await failure(checkpoint.select(undefined, { verify: "latest" }));
    expect(error.code).toBe("E_INTEGRITY");
    expect(error.message).toContain(key);
    expect(warnings).toEqual([]);
  });

  it("an undamaged checkpoint: latest and all pick the latest row, silently", async () => {
    await commitRows(3, "append");
    for (const verify of ["off", "latest", "all"] as const) {
      const { checkpoint, warnings } = reader();
      const session = await checkpoint.select(undefined, { verify });
      expect(restoredWrite(session)).toBe(3);
      expect(warnings).toEqual([]);
    }
  });

  it("an unknown verify value is an option error naming the option", async () => {
    await commitRows(1, "append");
    const { checkpoint } = reader();
    const error = await failure(checkpoint.select(undefined, { verify: "some" as "all" }));
    expect(error.code).toBe("E_OPTION");
    expect(error.message).toContain("verify");
  });
});
