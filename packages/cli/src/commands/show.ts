import {
  decodeMetadataValue,
  displayValue,
  dtypeOfDescr,
  type Manifest,
  openStore,
  readWorld,
  savedStates,
} from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { pickRow, readerFor, rootsOf, unreferencedBytes } from "../checkpoints.js";
import { type CliIo, table, writeJson } from "../io.js";
import { summarizeWorld, worldLines } from "../world.js";

type JsonValue = Manifest["metadata"][string];

/** A one-line picture of a field's encoded description: dtype and shape for arrays. */
export function describeField(description: JsonValue): string {
  if (description !== null && typeof description === "object" && !Array.isArray(description)) {
    const { dtype, shape, blob } = description as { dtype?: JsonValue; shape?: JsonValue; blob?: JsonValue };
    if (typeof dtype === "string" && Array.isArray(shape)) {
      const name = dtypeOfDescr(dtype)?.name ?? dtype;
      return `${name} [${shape.join(", ")}]${typeof blob === "string" ? `  ${blob}` : ""}`;
    }
    const kind =
      (description as { kind?: JsonValue; type?: JsonValue }).kind ??
      (description as { type?: JsonValue }).type;
    if (typeof kind === "string") {
      const text = JSON.stringify(description);
      return text.length <= 60 ? text : `${kind} …`;
    }
  }
  const text = JSON.stringify(description);
  return text.length <= 60 ? text : `${text.slice(0, 57)}…`;
}

/** A metadata value as the catalog table shows it (`6 hours` for a duration), else its stored JSON. */
function metadataText(description: JsonValue, key: string): string {
  try {
    return displayValue(decodeMetadataValue(description, `metadata.${key}`));
  } catch {
    return JSON.stringify(description);
  }
}

/** `ckpt show <url> <name> [row]`: one row's manifest, its states and fields, its objects. */
export async function showCommand(
  io: CliIo,
  url: string,
  name: string,
  which: string,
  options: { json: boolean; rank: number | undefined },
): Promise<void> {
  const store = await openStore(url);
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  try {
    const [root] = await rootsOf(store, name, options.rank);
    const reader = readerFor(store, name, root!, warn);
    const view = await reader.read();
    const rows = view.rows;
    const row = pickRow(rows, which, name);
    const manifest = await reader.manifest(row);
    const states = await savedStates(reader, manifest);
    const position = rows.indexOf(row);
    // The checkpoint's mode is the one its catalog records; a row's manifest says its writer's.
    const mode = view.policy?.mode ?? manifest.mode;
    const unreferenced = await unreferencedBytes(reader);
    // A rank of a world: every rank's catalog, read once, says where a world restart resumes.
    const world =
      root!.rank === undefined || manifest.worldSize < 2
        ? undefined
        : await readWorld({ store, name, worldSize: manifest.worldSize, warn }).then((view) =>
            summarizeWorld(new Map(view.ranks.map((rank) => [rank.rank, rank.rows])), view.marked),
          );

    // Objects stored by an earlier commit (incremental commits): what this row shares with rows before it.
    const shared = manifest.objects.filter((object) => object.location !== undefined);
    const sharedBytes = shared.reduce((sum, object) => sum + object.size, 0);
    if (options.json) {
      writeJson(io, {
        store: store.url,
        name,
        root: root!.root,
        mode,
        historySize: view.policy === undefined ? null : view.policy.historySize,
        unreferencedBytes: unreferenced,
        ...(world === undefined ? {} : { world }),
        position,
        row,
        shared: { objects: shared.length, bytes: sharedBytes },
        manifest,
        states,
      });
      return;
    }
    const total = manifest.objects.reduce((sum, object) => sum + object.size, 0);
    const lines: string[] = [];
    lines.push(`Checkpoint("${name}")  ${store.url}  ${root!.root}`);
    lines.push(
      `row ${position} of ${rows.length}${position === rows.length - 1 ? " (latest)" : ""}: ${manifest.commitId}`,
    );
    lines.push(`write_count: ${manifest.writeCount}`);
    lines.push(`saved_at: ${manifest.savedAt}`);
    lines.push(`mode: ${mode}   level: ${manifest.level}   rank: ${manifest.rank}/${manifest.worldSize}`);
    lines.push(`labels: ${JSON.stringify(manifest.labels)}`);
    lines.push(
      `unreferenced: ${formatBytes(unreferenced)} (${unreferenced} bytes; \`ckpt gc\` removes them)`,
    );
    if (world !== undefined) lines.push(...worldLines(world));
    lines.push("");
    const metadataKeys = Object.keys(manifest.metadata).sort();
    lines.push(metadataKeys.length === 0 ? "metadata: none" : "metadata:");
    for (const key of metadataKeys) lines.push(`  ${key}: ${metadataText(manifest.metadata[key]!, key)}`);
    lines.push("");
    lines.push(states.length === 0 ? "states: none" : "states:");
    for (const state of states) {
      lines.push(`  ${state.id}  (${state.path}, schema ${state.schemaHash.slice(0, 16)})`);
      const fieldRows = Object.entries(state.fields).map(([field, description]) => [
        `    ${field}`,
        describeField(description),
      ]);
      if (fieldRows.length > 0) lines.push(table(["    field", "value"], fieldRows));
    }
    lines.push("");
    lines.push(`objects: ${manifest.objects.length}, ${formatBytes(total)}`);
    lines.push(
      `shared with earlier rows: ${shared.length} object(s), ${formatBytes(sharedBytes)} (${sharedBytes} bytes); stored by this commit: ${formatBytes(total - sharedBytes)} (${total - sharedBytes} bytes)`,
    );
    lines.push(
      table(
        ["  key", "size", "checksum", "stored by"],
        manifest.objects.map((object) => [
          `  ${object.key}`,
          String(object.size),
          object.checksum,
          object.location === undefined ? "this commit" : (object.location.split("/")[1] ?? object.location),
        ]),
      ),
    );
    io.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await store.close?.();
  }
}
