import { commitFolder } from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { rootsOf, withCommandStore, writerFor } from "../checkpoints.js";
import { formatDuration } from "../duration.js";
import { type CliIo, writeJson } from "../io.js";

/**
 * `ckpt gc <url> <name>`: removes the objects of every rank that no catalog row references and
 * that are older than the grace period, and the store's leftovers of killed writers. The text and
 * `--json` report the same figures: commits without a row, the removed bytes, leftovers.
 */
export async function gcCommand(
  io: CliIo,
  url: string,
  name: string,
  options: { olderThan: number; dryRun: boolean; json: boolean; rank: number | undefined },
): Promise<void> {
  await withCommandStore(io, url, async (store, warn) => {
    const results = [];
    for (const root of await rootsOf(store, name, options.rank)) {
      const result = await writerFor(store, name, root, warn).gc({
        olderThan: options.olderThan,
        dryRun: options.dryRun,
      });
      results.push({
        root: root.root,
        removed: result.removed,
        bytes: result.bytes,
        leftovers: result.leftovers,
      });
    }
    const removed = results.reduce((sum, result) => sum + result.removed.length, 0);
    const bytes = results.reduce((sum, result) => sum + result.bytes, 0);
    const leftovers = results.reduce((sum, result) => sum + result.leftovers.count, 0);
    const leftoverBytes = results.reduce((sum, result) => sum + result.leftovers.bytes, 0);
    if (options.json) {
      writeJson(io, {
        store: store.url,
        name,
        dryRun: options.dryRun,
        olderThan: options.olderThan,
        removed,
        bytes,
        leftovers: { count: leftovers, bytes: leftoverBytes },
        totalBytes: bytes + leftoverBytes,
        roots: results,
      });
      return;
    }
    const verb = options.dryRun ? "would remove" : "removed";
    for (const result of results)
      for (const commitId of result.removed)
        io.stdout.write(`${verb} ${commitFolder(result.root, commitId)}\n`);
    io.stdout.write(
      `${options.dryRun ? "dry run: " : ""}${verb} ${removed} unreferenced commit folder(s), ${formatBytes(bytes)} (${bytes} bytes), older than ${formatDuration(options.olderThan)}\n`,
    );
    if (leftovers > 0 || leftoverBytes > 0)
      io.stdout.write(
        `${verb} ${leftovers} leftover(s) of interrupted writers, ${formatBytes(leftoverBytes)} (${leftoverBytes} bytes)\n`,
      );
  });
}
