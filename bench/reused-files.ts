/**
 * An experiment behind a finding of bench/findings.md (not part of `pnpm bench`): what a steady
 * checkpoint's file-system work costs on the local disk when each commit writes new files and the
 * previous commit's files are unlinked, against overwriting the previous commit's files (what
 * `FsStore` does with the files it keeps, `recycleBytes`). Per round, per variant, in alternating
 * order: write four 16 MiB files (1 MiB calls, fsync each) and delete the previous round's four.
 *
 *   npx tsx --conditions=@ckpt/source bench/reused-files.ts [--rounds 12] [--files 4] [--file-size 16MiB]
 */
import { mkdir, mkdtemp, rename, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FsStore } from "@ckpt/store-fs";
import { writeInCalls } from "./file-writes.js";
import { formatSize, MiB, parseSize, summarize } from "./stats.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "12" },
    files: { type: "string", default: "4" },
    "file-size": { type: "string", default: "16MiB" },
  },
});
const rounds = Number(values.rounds);
const files = Number(values.files);
const fileSize = parseSize(values["file-size"]!);
const root = await mkdtemp(join(tmpdir(), "ckpt-reused-files-"));
const body = new Uint8Array(fileSize);
for (let i = 0; i < body.length; i += 4096) body[i] = (i >>> 12) & 255;

interface Variant {
  readonly name: string;
  /** Writes round `round`'s files and deletes round `round - 1`'s: ms writing, ms deleting. */
  readonly run: (round: number) => Promise<{ write: number; delete: number }>;
}

const names = (round: number) => Array.from({ length: files }, (_, i) => `${round}/array-${i}.npy`);

function rawVariant(name: string, reuse: boolean): Variant {
  const dir = join(root, name);
  return {
    name,
    run: async (round) => {
      await mkdir(join(dir, String(round)), { recursive: true });
      const start = performance.now();
      await Promise.all(
        names(round).map(async (file, i) => {
          const path = join(dir, file);
          if (reuse && round > 0) {
            await rename(join(dir, names(round - 1)[i]!), path);
            await writeInCalls(path, body, MiB, "r+");
          } else await writeInCalls(path, body, MiB, "wx");
        }),
      );
      const written = performance.now();
      if (!reuse && round > 0) await Promise.all(names(round - 1).map((file) => unlink(join(dir, file))));
      return { write: written - start, delete: performance.now() - written };
    },
  };
}

function storeVariant(name: string, recycleBytes: number | undefined): Variant {
  const store = new FsStore({
    root: join(root, name),
    ...(recycleBytes === undefined ? {} : { recycleBytes }),
  });
  return {
    name,
    run: async (round) => {
      const start = performance.now();
      await Promise.all(names(round).map((key) => store.put(key, body)));
      const written = performance.now();
      if (round > 0) await store.delete(names(round - 1));
      return { write: written - start, delete: performance.now() - written };
    },
  };
}

const variants: Variant[] = [
  rawVariant("raw: new files, old ones unlinked", false),
  rawVariant("raw: the old files overwritten", true),
  storeVariant("FsStore, recycleBytes 0", 0),
  storeVariant("FsStore, files reused (default)", undefined),
];
const times = new Map<string, { write: number[]; delete: number[]; both: number[] }>(
  variants.map(({ name }) => [name, { write: [], delete: [], both: [] }]),
);
try {
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { write, delete: deleting } = await variant.run(round);
      // Round 0 has nothing to delete or reuse.
      if (round === 0) continue;
      const entry = times.get(variant.name)!;
      entry.write.push(write);
      entry.delete.push(deleting);
      entry.both.push(write + deleting);
    }
  }
  console.log(
    `${files} files of ${formatSize(fileSize)} written and fsynced, the previous ${files} deleted; ${rounds - 1} rounds (ms, median (min–max)):`,
  );
  const show = (ms: number[]) => {
    const { median, min, max } = summarize(ms);
    return `${median.toFixed(0)} (${min.toFixed(0)}–${max.toFixed(0)})`;
  };
  for (const [name, ms] of times)
    console.log(
      `  ${name.padEnd(36)} write ${show(ms.write)}, delete ${show(ms.delete)}, both ${show(ms.both)}`,
    );
} finally {
  await rm(root, { recursive: true, force: true });
}
