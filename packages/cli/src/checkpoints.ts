import { CatalogClient, CheckpointSelectionError, listAll, listAllArray, type Store } from "@ckpt/core";

/** One catalog folder of a checkpoint: the checkpoint itself, or one rank of it. */
export interface CheckpointRoot {
  /** The folder in the store: `"<name>"` or `"<name>/rank_000003"`. */
  readonly root: string;
  /** The rank for a ranked folder. */
  readonly rank: number | undefined;
}

/** What a listing of a store found about one checkpoint. */
export interface FoundCheckpoint {
  readonly name: string;
  readonly roots: CheckpointRoot[];
  objects: number;
  bytes: number;
  lastModified: Date | undefined;
}

const rankFolder = /^rank_(\d{6,})$/;

/**
 * Splits a key into the checkpoint folder it belongs to, when it belongs to one: keys end in
 * `catalog.json` or run through `commits/`, under `<name>/` or `<name>/rank_NNNNNN/`.
 */
function rootOfKey(key: string): { name: string; root: CheckpointRoot } | undefined {
  const parts = key.split("/");
  let end = parts.indexOf("commits");
  if (end < 0 && parts.at(-1) === "catalog.json") end = parts.length - 1;
  if (end < 1) return undefined;
  const folder = parts.slice(0, end);
  const last = folder.at(-1)!;
  const match = rankFolder.exec(last);
  if (match && folder.length >= 2)
    return {
      name: folder.slice(0, -1).join("/"),
      root: { root: folder.join("/"), rank: Number(match[1]) },
    };
  return { name: folder.join("/"), root: { root: folder.join("/"), rank: undefined } };
}

/** Every checkpoint under `prefix` (the whole store by default), by listing its keys. */
export async function findCheckpoints(store: Store, prefix = ""): Promise<FoundCheckpoint[]> {
  const found = new Map<string, FoundCheckpoint>();
  for await (const info of listAll(store, prefix)) {
    const located = rootOfKey(info.key);
    if (located === undefined) continue;
    let entry = found.get(located.name);
    if (entry === undefined) {
      entry = { name: located.name, roots: [], objects: 0, bytes: 0, lastModified: undefined };
      found.set(located.name, entry);
    }
    if (!entry.roots.some((root) => root.root === located.root.root)) entry.roots.push(located.root);
    entry.objects += 1;
    entry.bytes += info.size;
    if (entry.lastModified === undefined || info.lastModified > entry.lastModified)
      entry.lastModified = info.lastModified;
  }
  const list = [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of list) entry.roots.sort((a, b) => (a.rank ?? -1) - (b.rank ?? -1));
  return list;
}

/**
 * The catalog folders of checkpoint `name` (one, or one per rank), optionally only `rank`.
 * None found: `CheckpointSelectionError`.
 */
export async function rootsOf(store: Store, name: string, rank?: number): Promise<CheckpointRoot[]> {
  const [entry] = (await findCheckpoints(store, `${name}/`)).filter((found) => found.name === name);
  const roots = (entry?.roots ?? []).filter((root) => rank === undefined || root.rank === rank);
  if (roots.length === 0)
    throw new CheckpointSelectionError(
      name,
      rank === undefined
        ? `no checkpoint named "${name}" in ${store.url}`
        : `no rank ${rank} of checkpoint "${name}" in ${store.url}`,
    );
  return roots;
}

/**
 * The mode a rebuilt catalog should honour. Only matters when catalog.json is missing or damaged,
 * which a reader repairs (DESIGN §4): then the newest manifest says how its writer kept rows.
 */
async function writerMode(store: Store, root: CheckpointRoot): Promise<"overwrite" | "append"> {
  if ((await store.head(`${root.root}/catalog.json`)) !== undefined) return "append";
  const manifests = (await listAllArray(store, `${root.root}/commits/`))
    .map((info) => info.key)
    .filter((key) => key.endsWith("/manifest.json"))
    .sort();
  const newest = manifests.at(-1);
  if (newest === undefined) return "append";
  try {
    const { mode } = JSON.parse(new TextDecoder().decode((await store.get(newest)).bytes)) as {
      mode?: unknown;
    };
    return mode === "overwrite" ? "overwrite" : "append";
  } catch {
    return "append";
  }
}

/**
 * A catalog client for reading one checkpoint folder. Should the catalog need rebuilding, it keeps
 * the rows the writer's mode keeps (every row found, in append mode: the history size is not
 * recorded).
 */
export async function readerFor(
  store: Store,
  name: string,
  root: CheckpointRoot,
  warn: (message: string) => void,
): Promise<CatalogClient> {
  return new CatalogClient({
    store,
    checkpoint: name,
    root: root.root,
    mode: await writerMode(store, root),
    historySize: null,
    rank: root.rank ?? 0,
    worldSize: 1,
    level: 2,
    warn,
  });
}

/** Picks a row by position (`-1` latest) or commit id. */
export function pickRow<T extends { readonly commitId: string }>(
  rows: readonly T[],
  which: string,
  name: string,
): T {
  if (rows.length === 0)
    throw new CheckpointSelectionError(name, "No checkpoint entries match this selection.");
  if (/^-?\d+$/.test(which)) {
    const index = Number(which);
    const row = rows.at(index);
    if (row === undefined)
      throw new CheckpointSelectionError(
        name,
        `row ${index} is out of range (the catalog has ${rows.length} rows)`,
      );
    return row;
  }
  const row = rows.find((candidate) => candidate.commitId === which);
  if (row === undefined) throw new CheckpointSelectionError(name, `no row with commit id ${which}`);
  return row;
}
