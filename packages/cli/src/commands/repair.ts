import { rootsOf, withCommandStore, writerFor } from "../checkpoints.js";
import { type CliIo, writeJson } from "../io.js";

/**
 * `ckpt repair <url> <name>`: writes back every catalog of the checkpoint that reading found
 * missing (with commits present) or damaged, rebuilt from the manifests, by compare-and-swap.
 * Reading commands never write; this one does, and says what it wrote.
 */
export async function repairCommand(
  io: CliIo,
  url: string,
  name: string,
  options: { json: boolean; rank: number | undefined },
): Promise<void> {
  await withCommandStore(io, url, async (store, warn) => {
    const results = [];
    for (const root of await rootsOf(store, name, options.rank)) {
      const { repaired, rows } = await writerFor(store, name, root, warn).repair();
      results.push({ root: root.root, repaired, rows: rows.length });
    }
    if (options.json) {
      writeJson(io, { store: store.url, name, roots: results });
      return;
    }
    for (const result of results)
      io.stdout.write(
        result.repaired
          ? `repaired ${result.root}: wrote a catalog of ${result.rows} row(s) rebuilt from the manifests\n`
          : `${result.root}: the catalog is intact (${result.rows} row(s)); nothing written\n`,
      );
  });
}
