/**
 * The disk's {@link FsApi} for stores without fsync (`durable: false`), with the calls that do not
 * wait for the device made directly on the calling thread. Each call of `node:fs/promises` is a round trip through libuv's thread pool
 * (about 0.05 ms idle, a millisecond or more on a busy machine), and a put makes about ten of them
 * (open, write, utimes, the lock's symlink, stat, fstat, close, rename, readlink, unlink): most
 * of a small commit's time. Metadata calls, and reads and writes of at most {@link DIRECT_BYTES}
 * (page-cache copies of microseconds), run synchronously here; `fsync`, `readdir`, `readFile` and
 * larger reads and writes still go through the pool, so they overlap with the caller's work.
 */
import * as fs from "node:fs";
import type { FsApi, FsBigIntStats, FsDirent, FsFileHandle } from "./fs-api.js";

/** Reads and writes up to this many bytes are made on the calling thread. */
export const DIRECT_BYTES = 256 * 1024;

/** `call()`'s result as a promise, its exception as a rejection (as the promise API reports it). */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

function pooled<T>(
  start: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    start((error, value) => (error ? reject(error) : resolve(value))),
  );
}

const total = (buffers: readonly Uint8Array[]) => buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);

/** An open file by descriptor; closing twice is a no-op, so a reused descriptor is never closed. */
class DirectHandle implements FsFileHandle {
  #fd: number | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  get #open(): number {
    if (this.#fd === undefined) throw Object.assign(new Error("file closed"), { code: "EBADF" });
    return this.#fd;
  }

  write(buffer: Uint8Array, offset = 0, length = buffer.byteLength - offset, position: number | null = null) {
    return settle(() => this.#open).then((fd) =>
      length <= DIRECT_BYTES
        ? { bytesWritten: fs.writeSync(fd, buffer, offset, length, position) }
        : pooled<number>((done) => fs.write(fd, buffer, offset, length, position, done)).then(
            (bytesWritten) => ({
              bytesWritten,
            }),
          ),
    );
  }

  writev(buffers: Uint8Array[], position: number | null = null) {
    return settle(() => this.#open).then((fd) =>
      total(buffers) <= DIRECT_BYTES
        ? { bytesWritten: fs.writevSync(fd, buffers, position ?? undefined) }
        : pooled<number>((done) => fs.writev(fd, buffers, position, done)).then((bytesWritten) => ({
            bytesWritten,
          })),
    );
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number | null) {
    return settle(() => this.#open).then((fd) =>
      length <= DIRECT_BYTES
        ? { bytesRead: fs.readSync(fd, buffer, offset, length, position) }
        : pooled<number>((done) => fs.read(fd, buffer, offset, length, position, done)).then((bytesRead) => ({
            bytesRead,
          })),
    );
  }

  stat(options: { bigint: true }): Promise<FsBigIntStats> {
    return settle(() => fs.fstatSync(this.#open, options));
  }

  sync(): Promise<void> {
    return settle(() => this.#open).then((fd) =>
      pooled<void>((done) => fs.fsync(fd, (error) => done(error, undefined))),
    );
  }

  utimes(atime: number | Date, mtime: number | Date): Promise<void> {
    return settle(() => fs.futimesSync(this.#open, atime, mtime));
  }

  close(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    return fd === undefined ? Promise.resolve() : settle(() => fs.closeSync(fd));
  }
}

/** The real disk's fs API, with calls that do not wait for the device made directly. */
export function directFs(): FsApi {
  return {
    open: (path, flags, mode) => settle(() => new DirectHandle(fs.openSync(path, flags, mode))),
    rename: (from, to) => settle(() => fs.renameSync(from, to)),
    link: (from, to) => settle(() => fs.linkSync(from, to)),
    unlink: (path) => settle(() => fs.unlinkSync(path)),
    mkdir: (path, options) => settle(() => fs.mkdirSync(path, options)),
    rmdir: (path) => settle(() => fs.rmdirSync(path)),
    // A folder may hold thousands of entries and a lock file any size: through the pool.
    readdir: (path, options) => fs.promises.readdir(path, options) as Promise<FsDirent[]>,
    stat: (path, options) => settle(() => fs.statSync(path, options)),
    readFile: (path) => fs.promises.readFile(path),
    symlink: (target, path) => settle(() => fs.symlinkSync(target, path)),
    readlink: (path) => settle(() => fs.readlinkSync(path)),
  };
}
