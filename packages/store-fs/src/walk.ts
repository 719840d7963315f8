import { join } from "node:path";
import { validateKey } from "@ckpt/core";
import type { FsApi } from "./fs-api.js";
import { errorCode } from "./io.js";
import { RESERVED_PREFIX } from "./lock.js";

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * The keys under `prefix` that sort after `after`, in UTF-8 byte order, as object stores list
 * them. A folder walk gives that order if, inside each folder, a subfolder is sorted as its name
 * plus "/" (so "a-c" and "a.b" come before the keys under "a/", and "a0" after them); whole
 * subtrees at or before the cursor are skipped without being read.
 */
export async function* walkKeys(
  fs: FsApi,
  root: string,
  prefix: string,
  after: string | undefined,
): AsyncGenerator<string> {
  const cut = prefix.lastIndexOf("/") + 1;
  yield* walkFolder(fs, join(root, prefix.slice(0, cut)), prefix.slice(0, cut), prefix.slice(cut), after);
}

async function* walkFolder(
  fs: FsApi,
  path: string,
  keyPrefix: string,
  namePrefix: string,
  after: string | undefined,
): AsyncGenerator<string> {
  let entries: Awaited<ReturnType<FsApi["readdir"]>>;
  try {
    entries = await fs.readdir(path, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw error;
  }
  const children = entries
    .map((entry) => ({ name: String(entry.name), folder: entry.isDirectory(), file: entry.isFile() }))
    .filter((entry) => (entry.folder || entry.file) && !entry.name.startsWith(RESERVED_PREFIX))
    .filter((entry) => entry.name.startsWith(namePrefix))
    .map((entry) => ({ ...entry, sortKey: `${keyPrefix}${entry.name}${entry.folder ? "/" : ""}` }))
    .sort((a, b) => compareBytes(a.sortKey, b.sortKey));
  for (const child of children) {
    if (child.folder) {
      const folderPrefix = child.sortKey;
      if (after !== undefined && compareBytes(folderPrefix, after) <= 0 && !after.startsWith(folderPrefix))
        continue;
      const below = after?.startsWith(folderPrefix) ? after : undefined;
      yield* walkFolder(fs, join(path, child.name), folderPrefix, "", below);
    } else {
      const key = child.sortKey;
      if (after !== undefined && compareBytes(key, after) <= 0) continue;
      // A file that no key can name (made by hand, say) is not an object of the store.
      if (isValidKey(key)) yield key;
    }
  }
}
