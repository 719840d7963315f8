import { type Body, throwIfAborted } from "@ckpt/core";

/** A body ready to send: one array for a `PutObject`, or chunks for a multipart upload. */
export type PreparedBody =
  | {
      readonly kind: "single";
      /** The non-empty chunks as given (not joined); none for an empty body. */
      readonly chunks: readonly Uint8Array[];
      readonly size: number;
    }
  | {
      readonly kind: "multipart";
      /** The body's chunks as given (views of the caller's arrays), cut into parts by `cutParts`. */
      readonly chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
      /** Total length when known. */
      readonly size: number | undefined;
      /** Stops reading the caller's iterable, if any (after a refusal). */
      readonly release: () => void;
    };

async function* chain(
  head: readonly Uint8Array[],
  rest: AsyncIterator<Uint8Array>,
  signal: AbortSignal | undefined,
  key: string,
): AsyncGenerator<Uint8Array> {
  yield* head;
  for (;;) {
    throwIfAborted(signal, key);
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Turns a store body into what the SDK sends, copying as little as possible:
 * - up to `threshold` bytes: the chunks, for one `PutObject` (not joined);
 * - larger: the chunks themselves, for the multipart upload to cut into parts (views, not copies).
 * An async iterable is read until it passes `threshold` (or its declared `size` says so), then
 * the rest streams.
 */
export async function prepareBody(
  body: Body,
  options: {
    readonly threshold: number;
    readonly size: number | undefined;
    readonly signal: AbortSignal | undefined;
    readonly key: string;
  },
): Promise<PreparedBody> {
  const { threshold, signal, key } = options;
  const none = () => {};
  if (body instanceof Uint8Array)
    return body.byteLength <= threshold
      ? { kind: "single", chunks: body.byteLength ? [body] : [], size: body.byteLength }
      : { kind: "multipart", chunks: [body], size: body.byteLength, release: none };
  if (Array.isArray(body)) {
    const chunks = (body as readonly Uint8Array[]).filter((chunk) => chunk.byteLength > 0);
    const size = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    if (size <= threshold) return { kind: "single", chunks, size };
    return { kind: "multipart", chunks, size, release: none };
  }
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let read = 0;
  if (options.size === undefined || options.size <= threshold) {
    for (;;) {
      throwIfAborted(signal, key);
      const next = await iterator.next();
      if (next.done) {
        throwIfAborted(signal, key);
        return { kind: "single", chunks: head, size: read };
      }
      if (next.value.byteLength === 0) continue;
      head.push(next.value);
      read += next.value.byteLength;
      if (read > threshold) break;
    }
  }
  return {
    kind: "multipart",
    chunks: chain(head, iterator, signal, key),
    size: options.size,
    release: () => void iterator.return?.()?.catch(() => {}),
  };
}
