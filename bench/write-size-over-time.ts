/**
 * An experiment behind a finding of bench/findings.md (not part of `pnpm bench`): how the time to
 * write and fsync a new 64 MiB file on the local disk changes as new files keep being written,
 * per size of `write` call. First 1 GiB of new files, then per step one new file per call size (in
 * alternating order) and one `FsStore.put`, with `sync` before each.
 *
 *   npx tsx --conditions=@ckpt/source bench/write-size-over-time.ts [--steps 16] [--pieces 1MiB,512KiB,256KiB]
 */
import { randomFillSync } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FsStore } from "@ckpt/store-fs";
import { writeInCalls } from "./file-writes.js";
import { formatSize, MiB, parseSize } from "./stats.js";
import { settleDisk } from "./stores.js";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "16" },
    pieces: { type: "string", default: "1MiB,512KiB,256KiB" },
  },
});
const steps = Number(values.steps);
const pieces = values.pieces!.split(",").map(parseSize);
const root = await mkdtemp(join(tmpdir(), "ckpt-write-size-over-time-"));
const bodies = Array.from({ length: 16 }, () => randomFillSync(new Uint8Array(64 * MiB)));
const store = new FsStore({ root: join(root, "store") });

/** Writes `body` to a new file in a new folder in calls of `piece` bytes and fsyncs it: ms. */
async function writeNew(name: string, body: Uint8Array, piece: number): Promise<number> {
  const start = performance.now();
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeInCalls(join(dir, "array.npy"), body, piece, "wx");
  return performance.now() - start;
}

try {
  for (const [i, body] of bodies.entries()) await writeNew(`warm-up-${i}`, body, MiB);
  const variants: [string, (step: number, body: Uint8Array) => Promise<number>][] = [
    ...pieces.map((piece): [string, (step: number, body: Uint8Array) => Promise<number>] => [
      `calls of ${formatSize(piece)}`,
      (step, body) => writeNew(`${piece}-${step}`, body, piece),
    ]),
    [
      "FsStore.put",
      async (step, body) => {
        const start = performance.now();
        await store.put(`put-${step}/array.npy`, body);
        return performance.now() - start;
      },
    ],
  ];
  console.log(
    "after 1 GiB of new files, one new 64 MiB file per variant and step (ms, written and fsynced):",
  );
  for (let step = 1; step <= steps; step++) {
    const body = bodies[step % bodies.length]!;
    const times: string[] = [];
    for (const [name, run] of step % 2 === 0 ? variants : [...variants].reverse()) {
      settleDisk();
      times.push(`${name} ${(await run(step, body)).toFixed(0)}`);
    }
    console.log(`  step ${step}: ${times.join(", ")}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
