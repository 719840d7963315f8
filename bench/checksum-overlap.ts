/**
 * An experiment behind a finding of BENCHMARKS.md (not part of `pnpm bench`): does computing the
 * CRC-32 beside the puts, in 4 MiB slices that yield to the event loop, instead of before each put
 * (as the commit protocol does), win back the checksum's cost on a fast disk? Four objects of
 * `--size`/4 are put to an FsStore at once, alternating the two ways (and no checksum at all, and
 * the raw baseline), `--runs` times.
 *
 *   npx tsx --conditions=@ckpt/source bench/checksum-overlap.ts --size 1GiB --runs 6
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Checksum, checksumOf, openStore, type Store } from "@ckpt/core";
import { rawWrite } from "./raw-baselines.js";
import { arrayBytes, makeState } from "./state.js";
import { formatSize, parseSize, summarize } from "./stats.js";
import { openRaw } from "./stores.js";

const SLICE = 4 * 1024 * 1024;

async function checksumYielding(chunks: readonly Uint8Array[]): Promise<string> {
  const sum = new Checksum();
  for (const chunk of chunks)
    for (let offset = 0; offset < chunk.byteLength; offset += SLICE) {
      sum.update(chunk.subarray(offset, offset + SLICE));
      if (offset + SLICE < chunk.byteLength) await new Promise((resolve) => setImmediate(resolve));
    }
  return sum.digest();
}

type Mode = "none" | "before" | "beside";

async function putAll(store: Store, parts: readonly Uint8Array[], mode: Mode): Promise<number> {
  const start = performance.now();
  await Promise.all(
    parts.map(async (part, i) => {
      const chunks = [part];
      if (mode === "none") await store.put(`part-${i}`, chunks);
      else if (mode === "before") {
        checksumOf(chunks);
        await store.put(`part-${i}`, chunks);
      } else await Promise.all([store.put(`part-${i}`, chunks), checksumYielding(chunks)]);
    }),
  );
  return performance.now() - start;
}

const { values } = parseArgs({
  options: { size: { type: "string", default: "1GiB" }, runs: { type: "string", default: "6" } },
});
const bytes = parseSize(values.size!);
const parts = arrayBytes(makeState(bytes));
const dir = await mkdtemp(join(tmpdir(), "ckpt-overlap-"));
const times = { raw: [] as number[], none: [] as number[], before: [] as number[], beside: [] as number[] };
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const modes: Mode[] = ["none", "before", "beside"];
    for (const mode of run % 2 === 0 ? modes : modes.reverse()) {
      const store = await openStore(pathToFileURL(join(dir, `${mode}-${run}`)).href);
      times[mode].push(await putAll(store, parts, mode));
    }
    const raw = await openRaw({ kind: "fs", dir }, `raw-${run}`);
    times.raw.push(await rawWrite(raw, parts));
    await rm(join(dir, `raw-${run}`), { recursive: true, force: true });
    for (const mode of ["before", "beside"])
      await rm(join(dir, `${mode}-${run}`), { recursive: true, force: true });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const [name, list] of Object.entries(times)) {
  const s = summarize(list);
  console.log(
    `${formatSize(bytes)} ${name.padEnd(7)} median ${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`,
  );
}
