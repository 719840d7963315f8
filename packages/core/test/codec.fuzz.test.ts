import { CheckpointDecodeError, decodeNpy, decodeValue, encodeValue, type JsonValue } from "@ckpt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blobReader } from "./helpers/codec.js";

/** Runs `fn`; anything thrown must be a CheckpointDecodeError (never a TypeError, RangeError, …). */
function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof CheckpointDecodeError)) throw error;
  }
}

const sample = encodeValue(
  {
    a: new Float64Array([1, 2, 3]),
    b: { data: new Int16Array(6), shape: [2, 3] },
    c: new BigUint64Array([5n]),
  },
  "v",
);
const sampleBlobs = sample.blobs.map((blob) => blobReader(sample)(blob.name));

describe("decoding hostile input fails only with CheckpointDecodeError", () => {
  it("mutated .npy files (bytes flipped, truncated, extended)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sampleBlobs),
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.integer({ min: -40, max: 16 }),
        (original, flips, resize) => {
          const length = Math.max(0, original.byteLength + resize);
          const bytes = new Uint8Array(length);
          bytes.set(original.subarray(0, Math.min(length, original.byteLength)));
          for (const [at, value] of flips) if (at < length) bytes[at] = value;
          onlyDecodeErrors(() => decodeNpy(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("arbitrary bytes as a .npy file", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyDecodeErrors(() => decodeNpy(bytes))),
      { numRuns: 2000 },
    );
  });

  it("arbitrary JSON as a description, and mutated real descriptions", () => {
    const read = blobReader(sample);
    const reader = (name: string) => {
      try {
        return read(name);
      } catch {
        return new Uint8Array(0);
      }
    };
    fc.assert(
      fc.property(fc.jsonValue(), (description) =>
        onlyDecodeErrors(() => decodeValue(description as JsonValue, reader, "v")),
      ),
      { numRuns: 2000 },
    );
    const tagged = fc.record(
      {
        kind: fc.constantFrom(
          "typedarray",
          "ndarray",
          "map",
          "object",
          "bigint",
          "date",
          "number",
          "undefined",
          "nope",
        ),
        jsType: fc.constantFrom(
          "Float64Array",
          "Int16Array",
          "BigUint64Array",
          "Uint8ClampedArray",
          "Function",
          "__proto__",
        ),
        dtype: fc.constantFrom("<f8", "<i2", "<u8", "|u1", "|O", ">f8"),
        shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 7 }), { maxLength: 3 }), fc.jsonValue()),
        blob: fc.constantFrom(...sample.blobs.map((b) => b.name), "missing.npy", ""),
        value: fc.jsonValue(),
        entries: fc.jsonValue(),
      },
      { requiredKeys: ["kind"] },
    );
    fc.assert(
      fc.property(fc.array(tagged, { maxLength: 3 }), (descriptions) =>
        onlyDecodeErrors(() => decodeValue(descriptions as unknown as JsonValue, reader, "v")),
      ),
      { numRuns: 3000 },
    );
    expect(true).toBe(true);
  });
});
