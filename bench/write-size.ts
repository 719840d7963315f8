/**
 * An experiment behind a finding of bench/findings.md (not part of `pnpm bench`): how the size of
 * each `write` call changes the time to write and fsync one 64 MiB file on the local disk, against
 * Node's own `writeFile` (512 KiB calls) and an `FsStore.put` of the same bytes. Each round writes
 * a fresh file per variant, in alternating order, with `sync` and an idle pause before each.
 *
 *   npx tsx --conditions=@ckpt/source bench/write-size.ts [--rounds 5] [--pause-ms 1000] \
 *     [--pieces 512KiB,1MiB,2044KiB,2MiB,8MiB]
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FsStore } from "@ckpt/store-fs";
import { writeInCalls } from "./file-writes.js";
import { formatSize, MiB, parseSize, summarize } from "./stats.js";
import { settleDisk } from "./stores.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "pause-ms": { type: "string", default: "1000" },
    pieces: { type: "string", default: "512KiB,1MiB,2044KiB,2MiB,8MiB" },
  },
});
const rounds = Number(values.rounds);
const pauseMs = Number(values["pause-ms"]);
const pieces = values.pieces!.split(",").map(parseSize);
const root = await mkdtemp(join(tmpdir(), "ckpt-write-size-"));
const body = new Uint8Array(64 * MiB);
for (let i = 0; i < body.length; i += 4096) body[i] = (i >>> 12) & 255;
const store = new FsStore({ root: join(root, "store") });

/** Writes `body` to a new file in a new folder, in calls of `piece` bytes (0: `writeFile`), and fsyncs it. */
async function writeInPieces(name: string, piece: number): Promise<number> {
  const start = performance.now();
  const dir = join(root, "raw", name);
  await mkdir(dir, { recursive: true });
  await writeInCalls(join(dir, "array.npy"), body, piece, "w");
  return performance.now() - start;
}

const variants: [string, (round: number) => Promise<number>][] = [
  ["writeFile (512 KiB calls)", (round) => writeInPieces(`file-${round}`, 0)],
  ...pieces.map((piece): [string, (round: number) => Promise<number>] => [
    `write calls of ${formatSize(piece)}`,
    (round) => writeInPieces(`${piece}-${round}`, piece),
  ]),
  [
    "FsStore.put",
    async (round) => {
      const start = performance.now();
      await store.put(`put-${round}/states/array.npy`, body);
      return performance.now() - start;
    },
  ],
];
const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of round % 2 === 0 ? variants : [...variants].reverse()) {
      settleDisk();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      times.get(name)!.push(await run(round));
    }
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
  }
  console.log(`64 MiB written and fsynced, ${rounds} rounds (ms, median (min–max)):`);
  for (const [name, ms] of times) {
    const { median, min, max } = summarize(ms);
    console.log(`  ${name.padEnd(28)} ${median.toFixed(0)} (${min.toFixed(0)}–${max.toFixed(0)})`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
