import { CheckpointEntry, formatCatalog, readWorld, redactUrl } from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { findCheckpoints, readerFor, rootsOf, unreferencedBytes } from "../checkpoints.js";
import { type CliIo, table, writeJson } from "../io.js";
import { openExistingStore } from "../locations.js";
import { observeStore } from "../observed-store.js";
import { StatusLine } from "../progress.js";
import { summarizeWorld, worldLines } from "../world.js";

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
        let unreferenced = 0;
        let latest: { writeCount: number; savedAt: string } | undefined;
        const modes = new Set<string>();
        for (const root of entry.roots) {
          const reader = readerFor(store, entry.name, root, warn);
          const view = await reader.read();
          rows += view.rows.length;
          if (view.policy !== undefined) modes.add(view.policy.mode);
          unreferenced += await unreferencedBytes(reader);
          const last = view.rows.at(-1);
          if (last && (latest === undefined || last.savedAt > latest.savedAt)) latest = last;
        }
        summaries.push({
          name: entry.name,
          ranks: entry.roots.filter((root) => root.rank !== undefined).map((root) => root.rank!),
          rows,
          latestWriteCount: latest?.writeCount ?? null,
          latestSavedAt: latest?.savedAt ?? null,
          mode: modes.size === 1 ? [...modes][0]! : modes.size === 0 ? null : "mixed",
          objects: entry.objects,
          bytes: entry.bytes,
          unreferencedBytes: unreferenced,
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
          ["name", "ranks", "rows", "write_count", "saved_at", "objects", "size", "unreferenced", "mode"],
          summaries.map((summary) => [
            summary.name,
            summary.ranks.length === 0 ? "-" : String(summary.ranks.length),
            String(summary.rows),
            summary.latestWriteCount === null ? "-" : String(summary.latestWriteCount),
            summary.latestSavedAt ?? "-",
            String(summary.objects),
            formatBytes(summary.bytes),
            formatBytes(summary.unreferencedBytes),
            summary.mode ?? "-",
          ]),
        )}\n`,
      );
      return;
    }

    const roots = await rootsOf(store, name);
    const catalogs = [];
    for (const root of roots) {
      const reader = readerFor(store, name, root, warn);
      const view = await reader.read();
      const last = view.rows.at(-1);
      const level = last === undefined ? undefined : (await reader.manifest(last)).level;
      catalogs.push({ root, view, level, unreferenced: await unreferencedBytes(reader) });
    }
    status.end();
    const rowsByRank = new Map(
      catalogs.flatMap(({ root, view }) => (root.rank === undefined ? [] : [[root.rank, view.rows]])),
    );
    const unmarked = summarizeWorld(rowsByRank);
    // The catalogs are in hand: the world read adds only the marker.
    const world =
      unmarked === undefined
        ? undefined
        : summarizeWorld(
            rowsByRank,
            (
              await readWorld({
                store,
                name,
                worldSize: unmarked.worldSize,
                warn,
                known: new Map(
                  unmarked.ranks.map(({ rank }) => [
                    rank,
                    { rank, rows: rowsByRank.get(rank) ?? [], source: "catalog" as const },
                  ]),
                ),
              })
            ).marked,
          );
    if (options.json) {
      writeJson(io, {
        store: store.url,
        name,
        ...(world === undefined ? {} : { world }),
        catalogs: catalogs.map(({ root, view, unreferenced }) => ({
          root: root.root,
          rank: root.rank ?? null,
          mode: view.policy?.mode ?? null,
          historySize: view.policy === undefined ? null : view.policy.historySize,
          source: view.source,
          unreferencedBytes: unreferenced,
          rows: view.rows,
        })),
      });
      return;
    }
    const texts = catalogs.map(({ root, view, level, unreferenced }) => {
      // A ranked folder whose rows do not say a usable world size is a "rank without a size".
      const recorded = view.rows[0]?.worldSize ?? 1;
      const worldSize =
        root.rank === undefined ? 1 : recorded > 1 && recorded > root.rank ? recorded : undefined;
      const table = formatCatalog(
        {
          name,
          location: `${redactUrl(store.url).replace(/\/+$/, "")}/${root.root}`,
          mode: view.policy?.mode ?? "overwrite",
          level: level ?? 2,
          rank: root.rank ?? 0,
          worldSize,
        },
        view.rows.map((row) => new CheckpointEntry(row)),
      );
      return `${table}\nunreferenced: ${formatBytes(unreferenced)} (${unreferenced} bytes; \`ckpt gc\` removes them)`;
    });
    if (world !== undefined) texts.push(worldLines(world).join("\n"));
    io.stdout.write(`${texts.join("\n\n")}\n`);
  } finally {
    status.end();
    await store.close?.();
  }
}
