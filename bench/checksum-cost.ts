/**
 * An experiment behind a finding of BENCHMARKS.md (not part of `pnpm bench`): what the CRC-32 of
 * every byte costs a commit and a restore on the local disk, and how much of it hides behind the
 * I/O. Four objects of `--size`/4 go through an FsStore at once, alternating each way of handling
 * the checksum with the raw baseline (plain `writeFile` + fsync, `readFile`), `--runs` times:
 *
 * - put: no checksum; summed before each put (the commit protocol until 2026-11-26); summed beside
 *   the put in 4 MiB slices (what `putObjects` does now);
 * - get: no checksum; summed after each get; summed from `onChunk` pieces while the rest is read
 *   (what `readVerified` does now).
 *
 *   npx tsx --conditions=@ckpt/source bench/checksum-cost.ts --size 1GiB --runs 6
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Checksum, checksumOf, type Store } from "@ckpt/core";
import { FsStore } from "@ckpt/store-fs";
import { rawRead, rawWrite } from "./raw-baselines.js";
import { arrayBytes, makeState } from "./state.js";
import { formatSize, parseSize, summarize } from "./stats.js";
import { openRaw, settleDisk } from "./stores.js";

const SLICE = 4 * 1024 * 1024;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function checksumBeside(chunks: readonly Uint8Array[]): Promise<string> {
  const sum = new Checksum();
  await nextTurn();
  for (const chunk of chunks)
    for (let offset = 0; offset < chunk.byteLength; offset += SLICE) {
      sum.update(chunk.subarray(offset, offset + SLICE));
      await nextTurn();
    }
  return sum.digest();
}

const PUTS = {
  "put, no checksum": (store: Store, key: string, chunks: Uint8Array[]) => store.put(key, chunks),
  "put, checksum before": async (store: Store, key: string, chunks: Uint8Array[]) => {
    checksumOf(chunks);
    return store.put(key, chunks);
  },
  "put, checksum beside": async (store: Store, key: string, chunks: Uint8Array[]) =>
    (await Promise.all([store.put(key, chunks), checksumBeside(chunks)]))[0],
};
const GETS = {
  "get, no checksum": (store: Store, key: string) => store.get(key),
  "get, checksum after": async (store: Store, key: string) => {
    const result = await store.get(key);
    checksumOf(result.bytes);
    return result;
  },
  "get, checksum of pieces": async (store: Store, key: string) => {
    const sum = new Checksum();
    const result = await store.get(key, { onChunk: (chunk) => sum.update(chunk) });
    if (sum.size !== result.bytes.byteLength) throw new Error(`${key}: the pieces missed bytes`);
    return result;
  },
};

const { values } = parseArgs({
  options: { size: { type: "string", default: "1GiB" }, runs: { type: "string", default: "6" } },
});
const bytes = parseSize(values.size!);
const parts = arrayBytes(makeState(bytes));
const header = new Uint8Array(128);
const dir = await mkdtemp(join(tmpdir(), "ckpt-checksum-cost-"));
const times: Record<string, number[]> = {};
const timed = async (name: string, task: () => Promise<unknown>) => {
  settleDisk();
  const start = performance.now();
  await task();
  const list = times[name] ?? [];
  list.push(performance.now() - start);
  times[name] = list;
};
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const store = new FsStore({ root: join(dir, `run-${run}`) });
    const raw = await openRaw({ kind: "fs", dir }, `raw-${run}`);
    const puts = Object.entries(PUTS);
    for (const [name, put] of run % 2 === 0 ? puts : puts.reverse()) {
      await timed(name, () =>
        Promise.all(parts.map((part, i) => put(store, `${name}/${i}`, [header, part]))),
      );
      // One copy stays for the reads: a disk holding GiBs more of earlier steps writes slower.
      if (name !== "put, no checksum")
        await rm(join(dir, `run-${run}`, name), { recursive: true, force: true });
    }
    await timed("raw write", () => rawWrite(raw, parts));
    const gets = Object.entries(GETS);
    for (const [name, get] of run % 2 === 0 ? gets : gets.reverse())
      await timed(name, () => Promise.all(parts.map((_, i) => get(store, `put, no checksum/${i}`))));
    await timed("raw read", () => rawRead(raw, parts));
    await rm(join(dir, `run-${run}`), { recursive: true, force: true });
    await raw.clear();
    await raw.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const [name, list] of Object.entries(times)) {
  const s = summarize(list);
  console.log(
    `${formatSize(bytes)} ${name.padEnd(24)} median ${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`,
  );
}
