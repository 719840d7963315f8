import { registerStoreOpener } from "../../src/index.js";
import { MemoryStore } from "./memory-store.js";

/**
 * Makes `memory://name` URLs open: with @ckpt/store-fs (memfs volumes) when it is installed and
 * built, else with core's Map-backed test store (one volume per URL, honest preconditions).
 * Resolves to which one serves the scheme.
 */
export async function useMemoryStores(): Promise<"@ckpt/store-fs" | "core MemoryStore"> {
  // A variable specifier: the package may not exist yet while the workspace is being assembled.
  const storeFs = "@ckpt/store-fs";
  try {
    await import(storeFs);
    return "@ckpt/store-fs";
  } catch {
    const volumes = new Map<string, MemoryStore>();
    registerStoreOpener("memory:", (url) => {
      let volume = volumes.get(url.href);
      if (volume === undefined) {
        volume = new MemoryStore();
        volumes.set(url.href, volume);
      }
      return volume;
    });
    return "core MemoryStore";
  }
}
