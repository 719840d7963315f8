/**
 * Capturing the objects of a commit for a background upload: the caller may change every bound
 * value as soon as the capture returns. Blob bytes (views of live typed arrays) are copied into
 * buffers from a pool, reused once the commit that held them is durable, so a loop of async
 * commits allocates its copies once; `state.json` bodies are already fresh bytes and are kept as
 * they are.
 */
import type { CommitObject } from "./commit/index.js";

/**
 * The most a write that waits for a slot copies before it waits (while the previous commit still
 * holds its own copy). The memory bound of async commits is 2 × state + 128 MiB: a second copy of
 * up to 96 MiB fits in it with room for the process's other buffers; a larger state is captured
 * once the slot is free.
 */
export const EARLY_CAPTURE_BYTES = 96 * 1024 * 1024;

/** Buffers by exact byte length, handed back when the commit that held them settled. */
export class BufferPool {
  readonly #free = new Map<number, Uint8Array[]>();

  /** A buffer of `size` bytes, reused when one is free (its old bytes are overwritten by the caller). */
  take(size: number): Uint8Array {
    const buffer = this.#free.get(size)?.pop();
    return buffer ?? new Uint8Array(size);
  }

  /** Returns `buffers` for reuse. */
  give(buffers: readonly Uint8Array[]): void {
    for (const buffer of buffers) {
      let list = this.#free.get(buffer.byteLength);
      if (list === undefined) {
        list = [];
        this.#free.set(buffer.byteLength, list);
      }
      list.push(buffer);
    }
  }

  /** Drops every free buffer (the session ended: its copies are no longer needed). */
  clear(): void {
    this.#free.clear();
  }
}

/** Objects whose bytes no longer depend on live values, and the pooled buffers they hold. */
export interface CapturedObjects {
  readonly objects: CommitObject[];
  readonly buffers: readonly Uint8Array[];
}

/**
 * Copies each object whose chunks may view live memory (`copy(object)` says which) into one
 * pooled buffer; the others are kept as they are.
 */
export function captureObjects(
  objects: readonly CommitObject[],
  pool: BufferPool,
  copy: (object: CommitObject) => boolean,
): CapturedObjects {
  const buffers: Uint8Array[] = [];
  const captured = objects.map((object): CommitObject => {
    if (!copy(object)) return object;
    const buffer = pool.take(object.size);
    buffers.push(buffer);
    let offset = 0;
    for (const chunk of object.chunks) {
      buffer.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { key: object.key, chunks: [buffer], size: object.size };
  });
  return { objects: captured, buffers };
}
