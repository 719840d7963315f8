import { CheckpointSelectionError, type CopyResult, openStore, type Store } from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { type CheckpointRoot, findCheckpoints, readerFor, rootsOf, writerFor } from "../checkpoints.js";
import { type CliIo, writeJson } from "../io.js";
import { openDestinationStore } from "../locations.js";
import { ByteProgress } from "../progress.js";

/** What one copied catalog folder amounted to. */
interface RootCopy extends CopyResult {
  readonly root: string;
}

async function copyRoot(
  io: CliIo,
  src: Store,
  dst: Store,
  name: string,
  root: CheckpointRoot,
): Promise<RootCopy> {
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  let progress: ByteProgress | undefined;
  const result = await writerFor(dst, name, root, warn).copyFrom(readerFor(src, name, root, warn), {
    onPlan: (total) => {
      progress = new ByteProgress(io.stderr, `cp ${root.root}`, total);
    },
    onObject: (bytes) => progress?.advance(bytes),
    onCommit: (commitId, outcome) =>
      progress?.step(
        outcome === "copied"
          ? `${commitId} copied and verified`
          : `${commitId} already complete at the destination`,
      ),
  });
  progress?.done(result.rows === 0 ? "nothing to copy (no rows)" : "catalog written");
  return { root: root.root, ...result };
}

/**
 * `ckpt cp <src> <dst> [name]`: copies one checkpoint, or every checkpoint under `src`, with core's
 * commit copy: for each catalog folder, every row's objects (checked against the source manifest
 * on the way and read back from the destination), then the row's manifest (create-only), and the
 * destination catalog last by compare-and-swap: an interrupted copy leaves it untouched.
 */
export async function copyCommand(
  io: CliIo,
  srcUrl: string,
  dstUrl: string,
  name: string | undefined,
  options: { json: boolean },
): Promise<void> {
  const src = await openStore(srcUrl);
  const dst = await openDestinationStore(dstUrl);
  try {
    const names = name === undefined ? (await findCheckpoints(src)).map((found) => found.name) : [name];
    if (names.length === 0) throw new CheckpointSelectionError("*", `no checkpoints in ${src.url}`);
    const results: { name: string; roots: RootCopy[] }[] = [];
    for (const checkpoint of names) {
      const roots: RootCopy[] = [];
      for (const root of await rootsOf(src, checkpoint))
        roots.push(await copyRoot(io, src, dst, checkpoint, root));
      results.push({ name: checkpoint, roots });
    }
    if (options.json) {
      writeJson(io, { source: src.url, destination: dst.url, checkpoints: results });
      return;
    }
    for (const result of results)
      for (const root of result.roots)
        io.stdout.write(
          `copied ${root.root}: ${root.rows} row(s), ${root.copied} commit(s) copied, ${root.skipped} already there, ${root.objects} objects, ${formatBytes(root.bytes)}\n`,
        );
  } finally {
    await src.close?.();
    await dst.close?.();
  }
}
