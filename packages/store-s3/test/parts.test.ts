import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byteLengthOf, cutParts } from "../src/parts.js";

async function collect(parts: AsyncIterable<Uint8Array[]>): Promise<Uint8Array[][]> {
  const out: Uint8Array[][] = [];
  for await (const part of parts) out.push(part);
  return out;
}

function joined(chunks: readonly Uint8Array[]): Buffer {
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
}

/** Chunks of the given lengths, each a view at an offset into its own larger buffer. */
function chunksOf(lengths: readonly number[]): Uint8Array[] {
  return lengths.map((length, index) => {
    const backing = new Uint8Array(length + 7);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 13 + index * 101) & 0xff;
    return backing.subarray(3, 3 + length);
  });
}

describe("cutParts", () => {
  it("cuts [header, array] into views: the first part spans the boundary without a copy", async () => {
    const [header, data] = chunksOf([10, 40]) as [Uint8Array, Uint8Array];
    const parts = await collect(cutParts([header, data], 16));
    expect(parts.map((part) => part.map((view) => view.byteLength))).toEqual([[10, 6], [16], [16], [2]]);
    const [boundary] = parts;
    // Views of the caller's memory: a write through them shows in the chunks.
    expect(boundary?.[0]?.buffer).toBe(header.buffer);
    expect(boundary?.[1]?.buffer).toBe(data.buffer);
    expect(boundary?.[1]?.byteOffset).toBe(data.byteOffset);
  });

  it("skips empty chunks and yields nothing for an empty body", async () => {
    expect(await collect(cutParts([new Uint8Array(0)], 4))).toEqual([]);
    const parts = await collect(cutParts(chunksOf([3, 0, 3]), 4));
    expect(parts.map((part) => part.map((view) => view.byteLength))).toEqual([[3, 1], [2]]);
  });

  it("for any chunk lengths and part size: full parts of views, in order, covering the body exactly", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(50), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (lengths, partSize, streamed) => {
          const chunks = chunksOf(lengths);
          const source = streamed
            ? (async function* () {
                yield* chunks;
              })()
            : chunks;
          const parts = await collect(cutParts(source, partSize));
          const total = byteLengthOf(chunks);
          expect(parts.length).toBe(Math.ceil(total / partSize));
          parts.forEach((part, index) => {
            expect(byteLengthOf(part)).toBe(index < parts.length - 1 ? partSize : total - index * partSize);
            for (const view of part) {
              expect(view.byteLength).toBeGreaterThan(0);
              expect(chunks.some((chunk) => chunk.buffer === view.buffer)).toBe(true);
            }
          });
          expect(joined(parts.flat()).equals(joined(chunks))).toBe(true);
        },
      ),
    );
  });
});
