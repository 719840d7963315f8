import { createFsFromVolume, Volume } from "memfs";
import type { FsApi } from "./fs-api.js";

const volumes = new Map<string, FsApi>();

/**
 * The memfs volume of a `memory://name` store: one fresh volume per name per process, shared by
 * every store opened on that name (so two handles see the same objects).
 */
export function memoryVolume(name: string): FsApi {
  let fs = volumes.get(name);
  if (fs === undefined) {
    fs = Object.assign(createFsFromVolume(new Volume()).promises, { wholeWrites: true }) as unknown as FsApi;
    volumes.set(name, fs);
  }
  return fs;
}
