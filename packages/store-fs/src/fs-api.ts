/**
 * The part of the `fs.promises` API that {@link FsStore} uses. Node's `node:fs/promises` and
 * memfs's `vol.promises` both provide it, so one implementation serves the disk and memory.
 */
export interface FsApi {
  open(path: string, flags: string, mode?: number): Promise<FsFileHandle>;
  rename(oldPath: string, newPath: string): Promise<void>;
  link(existingPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  rmdir(path: string): Promise<void>;
  readdir(path: string, options: { withFileTypes: true }): Promise<FsDirent[]>;
  stat(path: string, options: { bigint: true }): Promise<FsBigIntStats>;
  readFile(path: string): Promise<Uint8Array | string>;
  /**
   * Write each chunk of a body in one call rather than in 512 KiB pieces: set on memfs volumes,
   * which grow a file's buffer by copying it as writes append.
   */
  readonly wholeWrites?: boolean;
  /** Optional: locks are then symlinks, created and read in one call each (see `lock.ts`). */
  symlink?(target: string, path: string): Promise<void>;
  readlink?(path: string): Promise<string | Uint8Array>;
}

/** An open file, as `FileHandle` of `node:fs/promises`. */
export interface FsFileHandle {
  write(
    buffer: Uint8Array,
    offset?: number,
    length?: number,
    position?: number | null,
  ): Promise<{ bytesWritten: number }>;
  /** Optional: without it a body's chunks are written one `write` each. */
  writev?(buffers: Uint8Array[], position?: number | null): Promise<{ bytesWritten: number }>;
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number }>;
  stat(options: { bigint: true }): Promise<FsBigIntStats>;
  sync(): Promise<void>;
  /** Optional: without it a kept file is reused only by a body of its exact size. */
  truncate?(length: number): Promise<void>;
  utimes(atime: number | Date, mtime: number | Date): Promise<void>;
  close(): Promise<void>;
}

/** The fields of a `BigIntStats` that the store reads. */
export interface FsBigIntStats {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** A directory entry from `readdir(path, { withFileTypes: true })`. */
export interface FsDirent {
  readonly name: string | { toString(): string };
  isFile(): boolean;
  isDirectory(): boolean;
}
