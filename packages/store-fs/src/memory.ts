import { createFsFromVolume, Volume } from "memfs";
import type { FsApi, FsFileHandle } from "./fs-api.js";

const volumes = new Map<string, FsApi>();

/**
 * The memfs volume of a `memory://name` store: one fresh volume per name per process, shared by
 * every store opened on that name (so two handles see the same objects).
 */
export function memoryVolume(name: string): FsApi {
  let fs = volumes.get(name);
  if (fs === undefined) {
    const promises = createFsFromVolume(new Volume()).promises as unknown as FsApi;
    // memfs's promise methods are own properties bound to their volume: spreading keeps them.
    fs = {
      ...promises,
      wholeWrites: true,
      open: async (path: string, flags: string, mode?: number) =>
        writesInTurn(await promises.open(path, flags, mode)),
    };
    volumes.set(name, fs);
  }
  return fs;
}

/** Writes this large copy megabytes each: they take turns with the rest of the event loop. */
const LARGE_WRITE = 256 * 1024;

// memfs settles every call in a microtask, so the writes of the puts in flight (a commit's
// objects, each a copy of megabytes) would run back to back without a turn of the event loop,
// holding the job's timers and I/O off for the whole commit. Large writes run one per turn.
let lane: Promise<unknown> = Promise.resolve();

function inTurn<T>(bytes: number, write: () => Promise<T>): Promise<T> {
  if (bytes < LARGE_WRITE) return write();
  const result = lane.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(write);
  lane = result.catch(() => undefined);
  return result;
}

function writesInTurn(handle: FsFileHandle): FsFileHandle {
  const write = handle.write.bind(handle);
  const writev = handle.writev?.bind(handle);
  handle.write = (buffer, offset, length, position) =>
    inTurn(length ?? buffer.byteLength - (offset ?? 0), () => write(buffer, offset, length, position));
  if (writev !== undefined)
    handle.writev = (buffers, position) =>
      inTurn(
        buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0),
        () => writev(buffers, position),
      );
  return handle;
}
