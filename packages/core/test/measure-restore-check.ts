/**
 * What the schema-free decode of a selected row costs on top of reading it: the time of
 * `select()` (read + checksum + decode check) against the checksummed read alone, for one state
 * holding a Float64Array, on memfs. Prints one line per size.
 *
 * Usage: node --import tsx --conditions=@ckpt/source packages/core/test/measure-restore-check.ts
 */
import { z } from "zod";
import { bindCheckpointState, CatalogReader, Checkpoint, checkpointState, openStore } from "../src/index.js";
import { loadStates } from "../src/session.js";
import "@ckpt/store-fs";

const Big = checkpointState("measure.Big", z.object({ values: z.instanceof(Float64Array) }));

for (const mib of [1, 16, 128]) {
  const store = await openStore(`memory://measure-restore-${mib}`);
  const writer = new Checkpoint("m", { store, env: {} });
  await writer.run(async (session) => {
    bindCheckpointState(Big, { values: new Float64Array((mib * 1024 * 1024) / 8).fill(1) });
    await session.write();
  });
  const times = { load: [] as number[], select: [] as number[] };
  for (let round = 0; round < 7; round++) {
    const reader = new Checkpoint("m", { store, env: {} });
    const [entry] = await reader.catalog();
    const client = new CatalogReader({ store, checkpoint: "m", root: "m" });
    let start = performance.now();
    await loadStates(client, entry!);
    times.load.push(performance.now() - start);
    start = performance.now();
    await reader.select();
    times.select.push(performance.now() - start);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!.toFixed(1);
  console.log(
    `${mib} MiB: read+checksum ${median(times.load)} ms, select (read+checksum+decode check) ${median(times.select)} ms`,
  );
}
