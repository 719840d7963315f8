import { Checkpoint } from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { findCheckpoints, readerFor, rootsOf } from "../checkpoints.js";
import { type CliIo, table, writeJson } from "../io.js";
import { openExistingStore } from "../locations.js";
import { observeStore } from "../observed-store.js";
import { StatusLine } from "../progress.js";

/** `ckpt ls <url> [name]`: the checkpoints under a store, or one checkpoint's catalog table(s). */
export async function lsCommand(
  io: CliIo,
  url: string,
  name: string | undefined,
  options: { json: boolean },
): Promise<void> {
  const opened = await openExistingStore(url);
  // Listing a large store takes a while: say how far it got (on a terminal only).
  const status = new StatusLine(io.stderr);
  let listed = 0;
  const store = observeStore(opened, {
    listed: (count) => {
      listed += count;
      status.update(`listing ${opened.url}: ${listed} objects`);
    },
  });
  const warn = (message: string) => {
    status.clear();
    io.stderr.write(`warning: ${message}\n`);
  };
  try {
    if (name === undefined) {
      const found = await findCheckpoints(store);
      const summaries = [];
      for (const [index, entry] of found.entries()) {
        status.update(`reading catalogs: ${index + 1}/${found.length} ${entry.name}`);
        let rows = 0;
        let latest: { writeCount: number; savedAt: string } | undefined;
        for (const root of entry.roots) {
          const rowsOfRoot = await (await readerFor(store, entry.name, root, warn)).rows();
          rows += rowsOfRoot.length;
          const last = rowsOfRoot.at(-1);
          if (last && (latest === undefined || last.savedAt > latest.savedAt)) latest = last;
        }
        summaries.push({
          name: entry.name,
          ranks: entry.roots.filter((root) => root.rank !== undefined).map((root) => root.rank!),
          rows,
          latestWriteCount: latest?.writeCount ?? null,
          latestSavedAt: latest?.savedAt ?? null,
          objects: entry.objects,
          bytes: entry.bytes,
        });
      }
      status.end();
      if (options.json) {
        writeJson(io, { store: store.url, checkpoints: summaries });
        return;
      }
      if (summaries.length === 0) {
        io.stdout.write(`no checkpoints in ${store.url}\n`);
        return;
      }
      io.stdout.write(
        `${table(
          ["name", "ranks", "rows", "write_count", "saved_at", "objects", "size"],
          summaries.map((summary) => [
            summary.name,
            summary.ranks.length === 0 ? "-" : String(summary.ranks.length),
            String(summary.rows),
            summary.latestWriteCount === null ? "-" : String(summary.latestWriteCount),
            summary.latestSavedAt ?? "-",
            String(summary.objects),
            formatBytes(summary.bytes),
          ]),
        )}\n`,
      );
      return;
    }

    const roots = await rootsOf(store, name);
    status.end();
    if (options.json) {
      const out = [];
      for (const root of roots) {
        const rows = await (await readerFor(store, name, root, warn)).rows();
        out.push({ root: root.root, rank: root.rank ?? null, rows });
      }
      writeJson(io, { store: store.url, name, catalogs: out });
      return;
    }
    const texts: string[] = [];
    for (const root of roots) {
      const rows = await (await readerFor(store, name, root, warn)).rows();
      // A ranked folder whose rows do not say a usable world size is a "rank without a size".
      const recorded = rows[0]?.worldSize ?? 1;
      const worldSize =
        root.rank === undefined ? 1 : recorded > 1 && recorded > root.rank ? recorded : undefined;
      const checkpoint = new Checkpoint(name, { store, rank: root.rank ?? 0, worldSize, env: {}, warn });
      texts.push(await checkpoint.format());
    }
    io.stdout.write(`${texts.join("\n\n")}\n`);
  } finally {
    status.end();
    await store.close?.();
  }
}
