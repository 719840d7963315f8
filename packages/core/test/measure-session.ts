/**
 * Measures the session layer end to end: store calls per `write` that commits, by number of bound
 * states, and the time of 1,000 committing writes on memfs and on disk.
 *
 *   node --import tsx --conditions=@ckpt/source packages/core/test/measure-session.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import {
  bindCheckpointState,
  Checkpoint,
  checkpointState,
  openStore,
  type Store,
  typedArray,
} from "../src/index.js";
import { FaultyStore } from "../src/testing/index.js";
import "@ckpt/store-fs";

const State = (index: number) =>
  checkpointState(`measure.State${index}`, z.object({ step: z.number(), values: typedArray("float64") }));

async function callsPerWrite(states: number): Promise<Record<string, number>> {
  const store = new FaultyStore(await openStore(`memory://measure-calls-${states}`));
  const checkpoint = new Checkpoint("calls", { store, env: {} });
  const counts: Record<string, number> = {};
  await checkpoint.run(async (session) => {
    for (let i = 0; i < states; i++) bindCheckpointState(State(i), { step: 0, values: new Float64Array(16) });
    await session.write(); // first commit: the catalog is read and created
    await session.write();
    store.reset();
    await session.write();
    for (const call of store.calls) counts[call.op] = (counts[call.op] ?? 0) + 1;
  });
  return counts;
}

async function timeWrites(store: Store, label: string, writes: number): Promise<void> {
  const checkpoint = new Checkpoint("timed", { store, env: {} });
  const started = process.hrtime.bigint();
  await checkpoint.run(async (session) => {
    const state = bindCheckpointState(State(0), { step: 0, values: new Float64Array(16) });
    for (let i = 0; i < writes; i++) {
      state.value.step = i;
      await session.write({ leadTime: i * 6 });
    }
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    `${label}: ${writes} committing writes (1 state, overwrite) in ${ms.toFixed(0)} ms, ${(ms / writes).toFixed(2)} ms each`,
  );
}

for (const states of [0, 1, 4])
  console.log(`store calls per committing write with ${states} state(s):`, await callsPerWrite(states));
await timeWrites(await openStore("memory://measure-time"), "memfs", 1000);
const folder = await mkdtemp(join(tmpdir(), "ckpt-measure-"));
try {
  await timeWrites(await openStore(pathToFileURL(folder).href), "disk ", 1000);
} finally {
  await rm(folder, { recursive: true, force: true });
}
