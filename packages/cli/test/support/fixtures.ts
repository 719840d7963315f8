import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bindCheckpointState, Checkpoint, checkpointState, openStore, type Store } from "@ckpt/core";
import { z } from "zod";

/** A state with a typed array and a plain number, like a job's RNG and progress. */
export const TestState = checkpointState(
  "cli-test.State",
  z.object({ s: z.instanceof(Uint32Array), field: z.instanceof(Float64Array), step: z.number() }),
);

/** A fresh temporary folder and its file:// URL. */
export async function tempStore(
  label: string,
): Promise<{ dir: string; url: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ckpt-cli-${label}-`));
  return { dir, url: pathToFileURL(dir).href, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes `rows` rows to checkpoint `name` (append mode, every row kept): each with metadata
 * `leadTime` and `step`, and the bound state.
 */
export async function writeRows(
  url: string,
  name: string,
  rows: number,
  options: { size?: number; rank?: number; worldSize?: number; unchangedField?: boolean } = {},
): Promise<void> {
  const store: Store = await openStore(url);
  const checkpoint = new Checkpoint(name, {
    store,
    mode: "append",
    historySize: null,
    env: {},
    ...(options.rank === undefined ? {} : { rank: options.rank, worldSize: options.worldSize }),
  });
  await checkpoint.run(async (session) => {
    const state = bindCheckpointState(TestState, {
      s: Uint32Array.of(1, 2, 3, 4),
      // 8 KiB: above the 4 KiB up to which arrays are packed into state.json, so a field.npy.
      field: new Float64Array(options.size ?? 1024),
      step: 0,
    }).value;
    const start = session.writeCount;
    for (let i = start; i < start + rows; i++) {
      state.step = i + 1;
      state.s[0] = i;
      // Unchanged, the field of every row after the first is the first row's object, reused.
      if (options.unchangedField !== true) state.field.fill(i + 0.5);
      await session.write({ leadTime: { milliseconds: (i + 1) * 21_600_000 }, step: i + 1 });
    }
  });
  await checkpoint.close();
}
