import { fileURLToPath } from "node:url";
import { StoreConfigError } from "@ckpt/core";
import type { FsApi } from "./fs-api.js";
import { memoryVolume } from "./memory.js";

/** Where a `file:` or `memory:` URL points: a folder, and for memory the memfs volume. */
export interface FsLocation {
  readonly root: string;
  readonly fs?: FsApi;
  readonly url: string;
  /** From `?durable=true|false`, when the URL has it. */
  readonly durable?: boolean;
}

/** The URL's query: only `durable=true|false` (the store's fsync switch) is known. */
function queryOptions(url: URL): { durable?: boolean } {
  const options: { durable?: boolean } = {};
  for (const [name, value] of url.searchParams) {
    if (name !== "durable")
      throw new StoreConfigError(
        `Unknown parameter ${JSON.stringify(name)} in store URL ${JSON.stringify(url.href)}; FsStore knows "durable"`,
      );
    if (value !== "true" && value !== "false")
      throw new StoreConfigError(
        `The store URL parameter "durable" must be true or false, got ${JSON.stringify(value)} in ${JSON.stringify(url.href)}`,
      );
    options.durable = value === "true";
  }
  return options;
}

/**
 * Resolves `file:///abs/folder` (the real disk) or `memory://name/optional/folder` (a memfs
 * volume, one per name per process); `?durable=false` turns the store's fsyncs off.
 */
export function resolveFsUrl(location: string | URL): FsLocation {
  let url: URL;
  try {
    url = typeof location === "string" ? new URL(location) : location;
  } catch (cause) {
    throw new StoreConfigError(`Malformed store URL ${JSON.stringify(String(location))}`, { cause });
  }
  if (url.protocol === "file:") {
    const options = queryOptions(url);
    try {
      const root = fileURLToPath(url);
      // The store's url names the folder; the parameters are options, not part of where it is.
      const bare = new URL(url.href);
      bare.search = "";
      return { root, url: bare.href, ...options };
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
      ...queryOptions(url),
    };
  }
  throw new StoreConfigError(`FsStore serves file: and memory: URLs, not ${JSON.stringify(url.href)}`);
}
