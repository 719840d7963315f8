import { expect } from "vitest";
import type { Store } from "../../store/types.js";

/** Bytes of a UTF-8 string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * A deterministic body whose every 4-byte word encodes its index and `seed`, so a reordered,
 * truncated or mixed-up chunk is caught by a byte comparison.
 */
export function patternBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  const salt = Math.imul(seed + 1, 0x9e3779b1) >>> 0;
  for (let i = 0; i < words.length; i++) words[i] = (i ^ salt) >>> 0;
  for (let i = words.length * 4; i < size; i++) out[i] = (seed + i) & 0xff;
  return out;
}

/** Splits a body into chunks of `chunkSize` bytes (views, not copies). */
export function chunked(bytes: Uint8Array, chunkSize: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize)
    chunks.push(bytes.subarray(offset, Math.min(offset + chunkSize, bytes.byteLength)));
  return chunks;
}

/** An async iterable over chunks, as a streaming producer would give them. */
export async function* asyncChunks(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

/**
 * Asserts two byte sequences are equal without asking the matcher to diff megabytes: on a
 * mismatch the message gives both lengths and the first differing offset.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  let first = 0;
  while (first < a.length && first < b.length && a[first] === b[first]) first++;
  expect.fail(`${what}: got ${a.length} bytes, expected ${b.length}; first difference at offset ${first}`);
}

/** Whether two byte sequences are equal. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array): boolean {
  return Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
  );
}

/** Reads a stream to the end, comparing it incrementally with `expected` (no second full copy). */
export async function expectStreamBytes(
  stream: AsyncIterable<Uint8Array>,
  expected: Uint8Array,
): Promise<void> {
  let offset = 0;
  for await (const chunk of stream) {
    if (offset + chunk.byteLength > expected.byteLength)
      expect.fail(`stream: more than the expected ${expected.byteLength} bytes`);
    if (!sameBytes(chunk, expected.subarray(offset, offset + chunk.byteLength)))
      expect.fail(`stream: bytes differ in the chunk at offset ${offset}`);
    offset += chunk.byteLength;
  }
  expect(offset, "stream length").toBe(expected.byteLength);
}

/** Collects a stream into one array. */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Every key under `prefix`, following cursors, with the page sizes seen. */
export async function listKeys(
  store: Store,
  prefix: string,
  limit?: number,
): Promise<{ keys: string[]; pageSizes: number[] }> {
  const keys: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, { cursor, limit });
    pageSizes.push(page.items.length);
    for (const item of page.items) keys.push(item.key);
    cursor = page.cursor;
    if (pageSizes.length > 100_000) expect.fail(`list("${prefix}") never ended`);
  } while (cursor !== undefined);
  return { keys, pageSizes };
}

/** Keys sorted the way stores order them: by UTF-8 bytes. */
export function sortKeys(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Awaits a call expected to fail and returns the error (a synchronous throw counts too). */
export async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return expect.fail("expected the call to fail, but it succeeded");
}
