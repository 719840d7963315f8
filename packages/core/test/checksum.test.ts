import { describe, expect, it } from "vitest";
import { ChecksumOfPieces, checksumBeside, checksumOf } from "../src/checksum.js";

const MiB = 1024 * 1024;
const pattern = (size: number, seed: number) => {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 131 + seed * 7) & 255;
  return out;
};

describe("Checksum", () => {
  it("leaves the running value as it is for an empty chunk, over an empty or a non-empty buffer", () => {
    const body = pattern(100, 9);
    const whole = checksumOf(body);
    expect(checksumOf([body, new Uint8Array(new ArrayBuffer(0))])).toBe(whole);
    expect(checksumOf([body, new Uint8Array(new ArrayBuffer(8), 4, 0)])).toBe(whole);
    expect(checksumOf([new Uint8Array(new ArrayBuffer(0)), body])).toBe(whole);
    expect(checksumOf(new Uint8Array(0))).toBe("crc32:00000000");
  });
});

describe("checksumBeside", () => {
  it("sums exactly what checksumOf sums, across slice and chunk boundaries", async () => {
    const chunks = [pattern(128, 1), pattern(9 * MiB + 3, 2), new Uint8Array(0), pattern(5, 3)];
    expect(await checksumBeside(chunks, () => false)).toBe(checksumOf(chunks));
    expect(await checksumBeside([], () => false)).toBe(checksumOf([]));
  });

  it("lets other work run between slices of a large body", async () => {
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns < 1000) setImmediate(tick);
    };
    setImmediate(tick);
    await checksumBeside([pattern(16 * MiB, 4)], () => false);
    expect(turns).toBeGreaterThanOrEqual(3);
  });

  it("sums a body of one slice or less without waiting for the event loop", async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const body = [pattern(1000, 6), pattern(3000, 7)];
    expect(await checksumBeside(body, () => false)).toBe(checksumOf(body));
    expect(turned).toBe(false);
  });

  it("gives up between slices once told to stop", async () => {
    let polls = 0;
    const result = await checksumBeside([pattern(12 * MiB, 5)], () => ++polls > 1);
    expect(result).toBeUndefined();
    expect(polls).toBe(2);
  });
});

describe("ChecksumOfPieces", () => {
  const body = pattern(10_000, 6);
  const feed = (pieces: ChecksumOfPieces, ranges: [number, number][]) => {
    for (const [start, end] of ranges) pieces.onChunk(body.subarray(start, end), start);
  };

  it("digests pieces in order as the whole", () => {
    const pieces = new ChecksumOfPieces();
    feed(pieces, [
      [0, 10],
      [10, 4000],
      [4000, 10_000],
    ]);
    expect(pieces.digestFor(body.byteLength)).toBe(checksumOf(body));
  });

  it("starts over when a read starts over at offset 0", () => {
    const pieces = new ChecksumOfPieces();
    feed(pieces, [
      [0, 3000],
      [3000, 6000],
      [0, 5000],
      [5000, 10_000],
    ]);
    expect(pieces.digestFor(body.byteLength)).toBe(checksumOf(body));
  });

  it("returns undefined for a gap, an overlap or pieces short of the size", () => {
    const gap = new ChecksumOfPieces();
    feed(gap, [
      [0, 10],
      [20, 10_000],
    ]);
    expect(gap.digestFor(body.byteLength)).toBeUndefined();
    const overlap = new ChecksumOfPieces();
    feed(overlap, [
      [0, 100],
      [50, 10_000],
    ]);
    expect(overlap.digestFor(body.byteLength)).toBeUndefined();
    const short = new ChecksumOfPieces();
    feed(short, [[0, 9000]]);
    expect(short.digestFor(body.byteLength)).toBeUndefined();
    expect(new ChecksumOfPieces().digestFor(0)).toBe(checksumOf(new Uint8Array(0)));
  });
});
