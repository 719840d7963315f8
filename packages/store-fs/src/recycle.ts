import { unlinkSync } from "node:fs";

/**
 * Files smaller than this are not kept for reuse: creating one costs little next to the bytes.
 * A large new file costs the kernel a page per 4 KiB written and, on its deletion, freeing them
 * (on the ext4 disk of BENCHMARKS.md ~0.3 ms per MiB each way); overwriting a kept file costs neither.
 */
export const RECYCLE_MIN_BYTES = 1024 * 1024;

/** A deleted object's file, renamed to a temp name in its folder, waiting to be overwritten. */
export interface RecycledFile {
  readonly path: string;
  readonly dir: string;
  readonly size: number;
  readonly since: number;
}

/** How long and how much {@link RecycledFiles} keeps, and how it removes a file for good. */
export interface RecycleSettings {
  readonly limitBytes: number;
  readonly keepMs: number;
  /** Unlinks a file and prunes its folder; never rejects. */
  readonly discard: (file: RecycledFile) => Promise<void>;
  /** Node's disk (not memfs): files still kept when the process exits are unlinked then. */
  readonly onDisk: boolean;
}

/** Pools kept on disk, unlinked synchronously when the process exits (see {@link RecycleSettings.onDisk}). */
const onDisk = new Set<RecycledFiles>();
let exitHook: (() => void) | undefined;

function watchExit(pool: RecycledFiles): void {
  onDisk.add(pool);
  if (exitHook !== undefined) return;
  exitHook = () => {
    for (const kept of onDisk) kept.unlinkAllNow();
  };
  process.once("exit", exitHook);
}

/**
 * The files of objects a store deleted, kept for its next puts to overwrite instead of creating
 * new files: at most `limitBytes`, each for at most `keepMs`, oldest dropped first.
 */
export class RecycledFiles {
  readonly #settings: RecycleSettings;
  /** Oldest first. */
  #files: RecycledFile[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: RecycleSettings) {
    this.#settings = settings;
  }

  /** Whether a deleted file of `size` bytes is worth keeping. */
  accepts(size: number): boolean {
    return size >= RECYCLE_MIN_BYTES && size <= this.#settings.limitBytes;
  }

  /** Keeps a file (already renamed to `file.path`), dropping the oldest beyond the limit. */
  add(file: RecycledFile): void {
    this.#files.push(file);
    this.#bytes += file.size;
    while (this.#bytes > this.#settings.limitBytes) {
      const oldest = this.#files.shift();
      if (oldest === undefined) break;
      this.#bytes -= oldest.size;
      void this.#settings.discard(oldest);
    }
    if (this.#settings.onDisk) watchExit(this);
    this.#schedule();
  }

  /**
   * A kept file for a body of `size` bytes, no longer kept: the smallest that holds it, else the
   * largest (the write grows it); none below {@link RECYCLE_MIN_BYTES}.
   */
  take(size: number): RecycledFile | undefined {
    if (size < RECYCLE_MIN_BYTES || this.#files.length === 0) return undefined;
    let best: RecycledFile | undefined;
    for (const file of this.#files) {
      const fits = file.size >= size;
      if (best === undefined) best = file;
      else if (fits && (best.size < size || file.size < best.size)) best = file;
      else if (!fits && best.size < size && file.size > best.size) best = file;
    }
    if (best === undefined) return undefined;
    this.#files = this.#files.filter((file) => file !== best);
    this.#bytes -= best.size;
    // An empty pool needs no exit hook: the registry would only hold its store.
    if (this.#files.length === 0) onDisk.delete(this);
    return best;
  }

  /** Removes every kept file. */
  async clear(): Promise<void> {
    const files = this.#files;
    this.#files = [];
    this.#bytes = 0;
    this.#stopTimer();
    onDisk.delete(this);
    await Promise.all(files.map((file) => this.#settings.discard(file)));
  }

  /** At process exit: unlinks every kept file synchronously (disk only). */
  unlinkAllNow(): void {
    for (const file of this.#files) {
      try {
        unlinkSync(file.path);
      } catch {
        // Gone already; a sweep removes what is left.
      }
    }
    this.#files = [];
    this.#bytes = 0;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#files.length === 0) return;
    const oldest = this.#files[0] as RecycledFile;
    const due = Math.max(0, oldest.since + this.#settings.keepMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      while (
        this.#files.length > 0 &&
        (this.#files[0] as RecycledFile).since + this.#settings.keepMs <= now
      ) {
        const expired = this.#files.shift() as RecycledFile;
        this.#bytes -= expired.size;
        void this.#settings.discard(expired);
      }
      if (this.#files.length === 0) onDisk.delete(this);
      this.#schedule();
    }, due);
    // Kept files never hold the process open: the exit hook removes them.
    this.#timer.unref?.();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
