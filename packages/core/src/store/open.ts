import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { StoreConfigError } from "../errors.js";
import type { Store } from "./types.js";

/** Opens a store from a URL. Registered by each store package for its schemes. */
export type StoreOpener = (url: URL) => Store | Promise<Store>;

const openers = new Map<string, StoreOpener>();

/** Which package serves which scheme, loaded on demand by {@link openStore}. */
const packageForScheme: Readonly<Record<string, string>> = {
  "file:": "@ckpt/store-fs",
  "memory:": "@ckpt/store-fs",
  "s3:": "@ckpt/store-s3",
  "gs:": "@ckpt/store-gcs",
};

/**
 * Registers the opener of a URL scheme (such as `"s3:"`). Store packages call this when they are
 * imported; applications only need it for their own stores.
 */
export function registerStoreOpener(scheme: string, opener: StoreOpener): void {
  openers.set(scheme.endsWith(":") ? scheme : `${scheme}:`, opener);
}

/** The store used when none is given: `CKPT_STORE`, else `file://~/.cache/ckpt/checkpoints`. */
export function defaultStoreUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configured = env.CKPT_STORE?.trim();
  if (configured) return configured;
  return pathToFileURL(join(homedir(), ".cache", "ckpt", "checkpoints")).href;
}

/**
 * Parses a store location: a URL (`file:///abs`, `memory://name`, `s3://bucket/prefix`,
 * `gs://bucket/prefix`) or a plain filesystem path, which becomes a `file:` URL.
 */
export function parseStoreUrl(location: string): URL {
  if (typeof location !== "string" || location.trim() === "")
    throw new StoreConfigError(
      "A store location must be a non-empty string such as file:///data or s3://bucket/prefix",
    );
  const text = location.trim();
  if (text.startsWith("~/") || text === "~") return pathToFileURL(join(homedir(), text.slice(1)));
  if (
    isAbsolute(text) ||
    text.startsWith("./") ||
    text.startsWith("../") ||
    !/^[a-z][a-z0-9+.-]*:/i.test(text)
  )
    return pathToFileURL(resolve(text));
  try {
    return new URL(text);
  } catch (cause) {
    throw new StoreConfigError(`Malformed store URL ${JSON.stringify(redactUrl(text))}`, { cause });
  }
}

/** A URL with any user, password and query secrets removed, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    for (const name of [...parsed.searchParams.keys()])
      if (/secret|token|key|password|credential|signature/i.test(name)) parsed.searchParams.set(name, "***");
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//***@");
  }
}

/**
 * Why the store package `pkg` could not be imported: not installed (say what to install), or
 * installed but one of its own imports failed (say which, and the import error's message).
 */
function packageLoadError(url: URL, pkg: string, cause: unknown): StoreConfigError {
  const where = JSON.stringify(redactUrl(url.href));
  const detail = cause instanceof Error ? cause.message : String(cause);
  // Node's wording for an import that does not resolve: "Cannot find package 'x' imported from …".
  const unresolved = /Cannot find (?:package|module) ['"]([^'"]+)['"]/.exec(detail)?.[1];
  if (unresolved === pkg)
    return new StoreConfigError(
      `Store URL ${where} needs the package ${pkg}: install it with \`npm install ${pkg}\``,
      { cause },
    );
  const hint =
    unresolved === undefined ? "" : ` (is ${unresolved} installed? reinstall ${pkg} to restore it)`;
  return new StoreConfigError(
    `Store URL ${where} needs the package ${pkg}, which is installed but failed to load: ${detail}${hint}`,
    { cause },
  );
}

/**
 * Opens the store at `location` (see {@link parseStoreUrl}), loading the store package for its
 * scheme on demand. A missing package is a `StoreConfigError` that says what to install; a package
 * that is installed but fails to import (one of its own dependencies missing or broken) is a
 * `StoreConfigError` that says what failed.
 *
 * @example
 * const store = await openStore("s3://my-bucket/runs?region=eu-west-1");
 */
export async function openStore(location: string = defaultStoreUrl()): Promise<Store> {
  const url = parseStoreUrl(location);
  let opener = openers.get(url.protocol);
  if (opener === undefined) {
    const pkg = packageForScheme[url.protocol];
    if (pkg === undefined)
      throw new StoreConfigError(
        `Unsupported store URL scheme "${url.protocol}" in ${JSON.stringify(redactUrl(url.href))}; use file:, memory:, s3: or gs:`,
      );
    try {
      await import(pkg);
    } catch (cause) {
      throw packageLoadError(url, pkg, cause);
    }
    opener = openers.get(url.protocol);
    if (opener === undefined)
      throw new StoreConfigError(
        `Package ${pkg} was loaded but did not register the "${url.protocol}" scheme`,
      );
  }
  return opener(url);
}
