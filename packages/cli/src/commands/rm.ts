import { CheckpointSelectionError } from "@ckpt/core";
import { readerFor, rootsOf, withCommandStore, writerFor } from "../checkpoints.js";
import { type CliIo, writeJson } from "../io.js";

/**
 * `ckpt rm <url> <name> <commitId>`: drops one row from its catalog by compare-and-swap (a damaged
 * row, say), leaving its objects for `ckpt gc`. The row is looked up in every rank unless
 * `--rank` is given.
 */
export async function rmCommand(
  io: CliIo,
  url: string,
  name: string,
  commitId: string,
  options: { json: boolean; rank: number | undefined },
): Promise<void> {
  await withCommandStore(io, url, async (store, warn) => {
    for (const root of await rootsOf(store, name, options.rank)) {
      const rows = await readerFor(store, name, root, warn).rows();
      if (!rows.some((row) => row.commitId === commitId)) continue;
      const removed = await writerFor(store, name, root, warn).remove(commitId);
      if (options.json) writeJson(io, { store: store.url, name, root: root.root, removed });
      else
        io.stdout.write(
          `removed row ${commitId} (write_count ${removed.writeCount}) from ${root.root}; \`ckpt gc\` removes its objects\n`,
        );
      return;
    }
    throw new CheckpointSelectionError(name, `no row with commit id ${commitId}`);
  });
}
