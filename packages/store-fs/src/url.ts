import { fileURLToPath } from "node:url";
import { StoreConfigError } from "@ckpt/core";
import type { FsApi } from "./fs-api.js";
import { memoryVolume } from "./memory.js";

/** Where a `file:` or `memory:` URL points: a folder, and for memory the memfs volume. */
export interface FsLocation {
  readonly root: string;
  readonly fs?: FsApi;
  readonly url: string;
}

/**
 * Resolves `file:///abs/folder` (the real disk) or `memory://name/optional/folder` (a memfs
 * volume, one per name per process).
 */
export function resolveFsUrl(location: string | URL): FsLocation {
  let url: URL;
  try {
    url = typeof location === "string" ? new URL(location) : location;
  } catch (cause) {
    throw new StoreConfigError(`Malformed store URL ${JSON.stringify(String(location))}`, { cause });
  }
  if (url.protocol === "file:") {
    try {
      const root = fileURLToPath(url);
      return { root, url: url.href };
    } catch (cause) {
      throw new StoreConfigError(
        `Cannot use ${JSON.stringify(url.href)} as a folder: use file:///absolute/path`,
        { cause },
      );
    }
  }
  if (url.protocol === "memory:") {
    if (url.hostname === "")
      throw new StoreConfigError(
        `A memory store URL needs a name (memory://name), got ${JSON.stringify(url.href)}`,
      );
    const folder = decodeURIComponent(url.pathname).replace(/\/+$/, "");
    return {
      root: folder === "" ? "/" : folder,
      fs: memoryVolume(url.hostname),
      url: `memory://${url.hostname}${folder}`,
    };
  }
  throw new StoreConfigError(`FsStore serves file: and memory: URLs, not ${JSON.stringify(url.href)}`);
}
