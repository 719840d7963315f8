import type { Readable } from "node:stream";
import { StoreAbortedError, StoreError, TooLargeError, TransientStoreError } from "@ckpt/core";
import { type FailureContext, toStoreError } from "./errors.js";

/** A response body as the SDK gives it on Node: a Readable that is also async-iterable. */
export type ResponseBody = AsyncIterable<Uint8Array> & { destroy?: Readable["destroy"] };

/** Stops a response body from downloading further. */
export function discard(body: ResponseBody | undefined): void {
  body?.destroy?.();
}

/**
 * Iterates a response body, enforcing `maxBytes` on what actually arrives (a server may omit the
 * length), stopping on abort and mapping failures to store errors. A body shorter than
 * `expectedSize` is a `TransientStoreError` rather than silently short data.
 */
export async function* guardedBody(
  body: ResponseBody,
  options: {
    readonly expectedSize: number | undefined;
    readonly maxBytes: number | undefined;
    readonly signal: AbortSignal | undefined;
    readonly context: FailureContext;
  },
): AsyncGenerator<Uint8Array> {
  const { signal, maxBytes, expectedSize, context } = options;
  const onAbort = () => discard(body);
  signal?.addEventListener("abort", onAbort, { once: true });
  let received = 0;
  try {
    if (signal?.aborted) throw new StoreAbortedError(context.key, { cause: signal.reason });
    try {
      for await (const chunk of body) {
        if (signal?.aborted) throw new StoreAbortedError(context.key, { cause: signal.reason });
        received += chunk.byteLength;
        if (maxBytes !== undefined && received > maxBytes) throw new TooLargeError(context.key, maxBytes);
        yield chunk;
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw toStoreError(error, context);
    }
    if (signal?.aborted) throw new StoreAbortedError(context.key, { cause: signal.reason });
    if (expectedSize !== undefined && received !== expectedSize)
      throw new TransientStoreError(
        context.key,
        `S3 ${context.op} in ${context.store} ended after ${received} of ${expectedSize} bytes`,
      );
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Early exit by the consumer, an error, or the end: the socket must not stay half-read.
    discard(body);
  }
}

/** Reads a whole response body into one array, allocated once when the length is known. */
export async function readAll(
  body: ResponseBody,
  options: {
    readonly expectedSize: number | undefined;
    readonly maxBytes: number | undefined;
    readonly signal: AbortSignal | undefined;
    readonly context: FailureContext;
    /** Sees each chunk once it is in place (see `GetOptions.onChunk`). */
    readonly onChunk?: ((chunk: Uint8Array, offset: number) => void) | undefined;
  },
): Promise<Uint8Array> {
  const { expectedSize, onChunk } = options;
  if (expectedSize !== undefined) {
    const out = new Uint8Array(expectedSize);
    let offset = 0;
    for await (const chunk of guardedBody(body, options)) {
      if (offset + chunk.byteLength > expectedSize) {
        discard(body);
        throw new TransientStoreError(
          options.context.key,
          `S3 ${options.context.op} in ${options.context.store} sent more than the announced ${expectedSize} bytes`,
        );
      }
      out.set(chunk, offset);
      onChunk?.(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of guardedBody(body, options)) {
    chunks.push(chunk);
    onChunk?.(chunk, size);
    size += chunk.byteLength;
  }
  return Buffer.concat(chunks, size);
}
