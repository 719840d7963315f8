import { finished, type Readable } from "node:stream";
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

/** Options of {@link readAll}. */
interface ReadAllOptions {
  readonly expectedSize: number | undefined;
  readonly maxBytes: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly context: FailureContext;
  /** Sees each chunk once it is in place (see `GetOptions.onChunk`). */
  readonly onChunk?: ((chunk: Uint8Array, offset: number) => void) | undefined;
}

/**
 * Reads a whole response body into one array, allocated once when the length is known. A Node
 * stream is read in flowing mode: each chunk is copied into place as the socket delivers it, as the
 * SDK's own `transformToByteArray` does. Its async iterator would call `read()`, which joins every
 * chunk buffered meanwhile into a new buffer first (a second copy of those bytes) and pauses the
 * socket whenever more than its high-water mark waits.
 */
export async function readAll(body: ResponseBody, options: ReadAllOptions): Promise<Uint8Array> {
  const { expectedSize, maxBytes, onChunk, context } = options;
  const known = expectedSize !== undefined;
  const out = known ? new Uint8Array(expectedSize) : undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const take = (chunk: Uint8Array) => {
    if (maxBytes !== undefined && size + chunk.byteLength > maxBytes)
      throw new TooLargeError(context.key, maxBytes);
    if (out === undefined) chunks.push(chunk);
    else if (size + chunk.byteLength > out.byteLength)
      throw new TransientStoreError(
        context.key,
        `S3 ${context.op} in ${context.store} sent more than the announced ${expectedSize} bytes`,
      );
    else out.set(chunk, size);
    onChunk?.(out === undefined ? chunk : out.subarray(size, size + chunk.byteLength), size);
    size += chunk.byteLength;
  };
  if (isReadable(body)) await flow(body, take, options);
  else for await (const chunk of guardedBody(body, { ...options, expectedSize: undefined })) take(chunk);
  if (known && size !== expectedSize)
    throw new TransientStoreError(
      context.key,
      `S3 ${context.op} in ${context.store} ended after ${size} of ${expectedSize} bytes`,
    );
  return out ?? Buffer.concat(chunks, size);
}

function isReadable(body: ResponseBody): body is ResponseBody & Readable {
  return (
    typeof (body as Partial<Readable>).on === "function" &&
    typeof (body as Partial<Readable>).resume === "function"
  );
}

/**
 * Hands every chunk of `body` to `take` as it arrives, until the end; rejects with a store error
 * on a failure, a premature end of the connection or an abort, and with what `take` throws (the
 * body is then destroyed, so the socket does not stay half-read).
 */
function flow(
  body: Readable,
  take: (chunk: Uint8Array) => void,
  options: Pick<ReadAllOptions, "signal" | "context">,
): Promise<void> {
  const { signal, context } = options;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      signal?.removeEventListener("abort", onAbort);
      stopWatching();
      if (error === undefined) resolve();
      else {
        discard(body);
        reject(error);
      }
    };
    const onData = (chunk: Uint8Array) => {
      try {
        take(chunk);
      } catch (error) {
        // The store's own refusals and the caller's onChunk failure, as they are.
        settle(error);
      }
    };
    const onAbort = () => settle(new StoreAbortedError(context.key, { cause: signal?.reason }));
    const stopWatching = finished(body, (error) =>
      settle(error == null ? undefined : error instanceof StoreError ? error : toStoreError(error, context)),
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    body.on("data", onData);
  });
}
