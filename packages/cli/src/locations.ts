import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { openStore, parseStoreUrl, type Store } from "@ckpt/core";
import { LocationNotFoundError, UsageError } from "./exit-codes.js";

/**
 * Opens a store that a command reads. A folder that does not exist is not an empty store: it is
 * "not found" (exit 4), so a mistyped path is not reported as "no checkpoints".
 */
export async function openExistingStore(location: string): Promise<Store> {
  const url = parseStoreUrl(location);
  if (url.protocol === "file:") {
    const path = fileURLToPath(url);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw error;
    });
    if (info === undefined) throw new LocationNotFoundError(`no such folder: ${path}`);
    if (!info.isDirectory()) throw new LocationNotFoundError(`not a folder: ${path}`);
  }
  return openStore(location);
}

/**
 * Opens a store that a command writes to. `memory://` is refused: its volume lives in this
 * process and would vanish, with everything written to it, when `ckpt` exits.
 */
export async function openDestinationStore(location: string): Promise<Store> {
  if (parseStoreUrl(location).protocol === "memory:")
    throw new UsageError(
      `${location} is an in-memory volume that disappears when ckpt exits; copy to a folder, s3:// or gs:// instead`,
    );
  return openStore(location);
}
