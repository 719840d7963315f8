import { decodeNpy, encodeNpy, VIEW_MIN_BYTES } from "@ckpt/core";
import { describe, expect, it } from "vitest";

/**
 * HTTP clients (the GCS SDK, fetch) hand over Node Buffers that are slices of a larger pooled
 * buffer; `Buffer#slice` is a view there, not a copy. Decoding must read the array's own bytes.
 */
function pooledSlice(chunks: readonly Uint8Array[], at: number): Buffer {
  const joined = Buffer.concat(chunks);
  const pool = Buffer.alloc(at + joined.byteLength + 4096, 0xee);
  joined.copy(pool, at);
  return pool.subarray(at, at + joined.byteLength);
}

describe("decodeNpy of a Buffer slice of a larger pooled buffer", () => {
  it("returns the array's values for a small array (copied into its own buffer)", () => {
    const values = new Float32Array([1, 2, 3, 4, -0.5]);
    const bytes = pooledSlice(encodeNpy(values).chunks, 100);
    const { data } = decodeNpy(bytes);
    expect(Array.from(data as typeof values)).toEqual(Array.from(values));
    expect(data.buffer).not.toBe(bytes.buffer);
    expect(data.byteOffset).toBe(0);
  });

  it("returns the array's values for a large array, at an aligned and an unaligned offset", () => {
    const values = new Float64Array(VIEW_MIN_BYTES / 8 + 3).map((_, i) => i * 1.5);
    for (const at of [64, 3]) {
      const { data } = decodeNpy(pooledSlice(encodeNpy(values).chunks, at));
      expect(data).toBeInstanceOf(Float64Array);
      expect(Array.from(data as typeof values)).toEqual(Array.from(values));
    }
  });
});
