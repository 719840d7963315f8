/**
 * Restore against raw read of the same 64 MiB, in 14 alternating pairs after one commit: the
 * median of the per-pair ratios (raw / ckpt). Nothing runs between the steps but a heap
 * collection (no `sync`, the page cache stays warm), so on a machine shared with other work the
 * pairs see the same conditions. Not part of `pnpm bench`:
 *
 *   npx tsx --conditions=@ckpt/source bench/restore-pairs.ts fs|memory|s3|gcs
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { timeCommit } from "./commit-throughput.js";
import { rawRead, rawWrite } from "./raw-baselines.js";
import { timeRestore } from "./restore.js";
import { arrayBytes, makeState, stateChecksums } from "./state.js";
import { collectGarbage, MiB, summarize } from "./stats.js";
import { openBenchStore, openRaw, type StoreKind, startStore, uniquePrefix } from "./stores.js";

setFlagsFromString("--expose-gc");
(globalThis as { gc?: unknown }).gc ??= runInNewContext("gc");

const kind = (process.argv[2] ?? "fs") as StoreKind;
const env = await startStore(kind, () => {});
try {
  const state = makeState(64 * MiB);
  const expected = stateChecksums(state);
  const prefix = uniquePrefix("pairs");
  const store = await openBenchStore(env.spec, prefix);
  const raw = await openRaw(env.spec, `${prefix}-raw`);
  await timeCommit(store, "bench", state);
  await rawWrite(raw, arrayBytes(state));
  const restore = async () => {
    collectGarbage();
    return (await timeRestore(store, "bench", expected)).ms;
  };
  const read = async () => {
    collectGarbage();
    return await rawRead(raw, arrayBytes(state));
  };
  const ratios: number[] = [];
  for (let pair = 0; pair < 14; pair++) {
    const [ckpt, plain] = pair % 2 === 0 ? [await restore(), await read()] : [0, await read()];
    const ckptMs = pair % 2 === 0 ? ckpt : await restore();
    ratios.push(plain / ckptMs);
    console.log(`pair ${pair + 1}: restore ${ckptMs.toFixed(0)} ms, raw read ${plain.toFixed(0)} ms`);
  }
  const summary = summarize(ratios);
  console.log(
    `${kind}: raw read / restore, median ${summary.median.toFixed(2)} (${summary.min.toFixed(2)}–${summary.max.toFixed(2)})`,
  );
  await raw.clear();
  await raw.close();
  await store.close?.();
} finally {
  await env.stop();
}
