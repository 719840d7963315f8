import { formatBytes } from "./bytes.js";

/** Where progress goes: a stream with an optional TTY flag (stderr in practice). */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Progress of a byte-counting operation on stderr: a redrawn bar on a terminal, a plain line per
 * `step()` otherwise, so logs stay readable.
 */
export class ByteProgress {
  readonly #out: ProgressOutput;
  readonly #label: string;
  readonly #started = Date.now();
  #bytes = 0;
  #objects = 0;
  #totalBytes: number;
  #totalObjects: number;
  #lastDraw = 0;

  constructor(out: ProgressOutput, label: string, totals: { bytes: number; objects: number }) {
    this.#out = out;
    this.#label = label;
    this.#totalBytes = totals.bytes;
    this.#totalObjects = totals.objects;
  }

  /** Grows the totals (when they become known piece by piece). */
  addTotals(bytes: number, objects: number): void {
    this.#totalBytes += bytes;
    this.#totalObjects += objects;
  }

  /** Records one finished object of `bytes` bytes. */
  advance(bytes: number): void {
    this.#bytes += bytes;
    this.#objects += 1;
    this.#draw();
  }

  /** Records `bytes` more bytes of an object still in flight, and the object once it is `done`. */
  stream(bytes: number, done: boolean): void {
    this.#bytes += bytes;
    if (done) this.#objects += 1;
    this.#draw();
  }

  /** Removes the bar (on a terminal) and prints nothing: for commands whose summary is on stdout. */
  clear(): void {
    if (this.#out.isTTY) this.#out.write("\r\x1b[2K");
  }

  #draw(): void {
    if (!this.#out.isTTY) return;
    const now = Date.now();
    if (now - this.#lastDraw >= 100 || this.#objects === this.#totalObjects) {
      this.#lastDraw = now;
      this.#out.write(`\r\x1b[2K${this.#line(true)}`);
    }
  }

  /** A plain progress line on a non-terminal (one per call), nothing on a terminal. */
  step(note: string): void {
    if (!this.#out.isTTY) this.#out.write(`${this.#line(false)}${note ? ` ${note}` : ""}\n`);
  }

  /** Ends the bar (on a terminal) and prints the summary line. */
  done(note = "done"): void {
    if (this.#out.isTTY) this.#out.write("\r\x1b[2K");
    this.#out.write(`${this.#line(false)} ${note}\n`);
  }

  #line(bar: boolean): string {
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001);
    const rate = `${formatBytes(Math.round(this.#bytes / seconds))}/s`;
    const fraction = this.#totalBytes > 0 ? Math.min(this.#bytes / this.#totalBytes, 1) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const barText = bar ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
    return `${this.#label} ${barText}${this.#objects}/${this.#totalObjects} objects, ${formatBytes(this.#bytes)}/${formatBytes(this.#totalBytes)}, ${rate}`;
  }
}

/**
 * A one-line status on a terminal, redrawn at most every 100 ms (listing a large store, reading
 * its catalogs); nothing at all when the output is not a terminal, so logs and pipes stay clean.
 */
export class StatusLine {
  readonly #out: ProgressOutput;
  #lastDraw = 0;
  #shown = false;
  #ended = false;

  constructor(out: ProgressOutput) {
    this.#out = out;
  }

  /** Shows `text` in place of the previous status. */
  update(text: string): void {
    if (!this.#out.isTTY || this.#ended) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#shown = true;
    this.#out.write(`\r\x1b[2K${text}`);
  }

  /** Removes the status line; a later {@link update} shows it again. */
  clear(): void {
    if (this.#shown) this.#out.write("\r\x1b[2K");
    this.#shown = false;
  }

  /** Removes the status line for good: results follow on the same terminal. */
  end(): void {
    this.clear();
    this.#ended = true;
  }
}
