/**
 * Wall time and process CPU time (`process.cpuUsage`, all threads) of a 64 MiB commit, raw write,
 * restore and raw read on one store, 4 runs. On a machine shared with other work, wall times
 * swing with the scheduler; CPU time shows what each side costs. Not part of `pnpm bench`:
 *
 *   npx tsx --conditions=@ckpt/source bench/cpu-time.ts fs|memory|s3|gcs
 *
 * The restore's figure includes the benchmark's own zlib check of the restored arrays (~20 ms of
 * CPU for 64 MiB), which `timeRestore` runs after its timed part.
 */
import { timeCommit } from "./commit-throughput.js";
import { rawRead, rawWrite } from "./raw-baselines.js";
import { timeRestore } from "./restore.js";
import { arrayBytes, makeState, stateChecksums } from "./state.js";
import { MiB } from "./stats.js";
import { openBenchStore, openRaw, type StoreKind, settleDisk, startStore, uniquePrefix } from "./stores.js";

const kind = (process.argv[2] ?? "fs") as StoreKind;
const env = await startStore(kind, () => {});
const state = makeState(64 * MiB);
const expected = stateChecksums(state);

/** Wall and CPU milliseconds of one step, as text. */
async function measure(fn: () => Promise<unknown>): Promise<string> {
  if (kind === "fs") settleDisk();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return `${(performance.now() - start).toFixed(0)} ms (cpu ${((used.user + used.system) / 1000).toFixed(0)})`;
}

try {
  for (let run = 0; run < 4; run++) {
    const prefix = uniquePrefix("cpu");
    const store = await openBenchStore(env.spec, prefix);
    const raw = await openRaw(env.spec, `${prefix}-raw`);
    const commit = await measure(() => timeCommit(store, "bench", state));
    const write = await measure(() => rawWrite(raw, arrayBytes(state)));
    const restore = await measure(() => timeRestore(store, "bench", expected));
    const read = await measure(() => rawRead(raw, arrayBytes(state)));
    console.log(
      `${kind} run ${run + 1}: commit ${commit}, raw write ${write} | restore ${restore}, raw read ${read}`,
    );
    await raw.clear();
    await raw.close();
    await store.close?.();
  }
} finally {
  await env.stop();
}
