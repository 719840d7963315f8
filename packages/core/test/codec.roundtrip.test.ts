import {
  decodeMetadataValue,
  decodeValue,
  encodeMetadataValue,
  encodeValue,
  type JsonValue,
  jsonText,
  type TypedArray,
  VIEW_MIN_BYTES,
} from "@ckpt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blobReader, exactDiff, roundTrip } from "./helpers/codec.js";

const RUNS = 3000;

/** Keys that have tripped up codecs: prototype names, our own tag key, array-like names. */
const key = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "__proto__",
      "constructor",
      "prototype",
      "kind",
      "entries",
      "value",
      "toString",
      "hasOwnProperty",
      "0",
      "1",
      "length",
      "a/b",
      "..",
      "A",
      "a",
    ),
  },
);

type Ctor = { new (length: number): TypedArray; new (values: ArrayLike<number | bigint>): TypedArray };

/** A typed array, sometimes a subarray view at a byte offset into a bigger buffer. */
function viewed<T extends TypedArray>(arb: fc.Arbitrary<T>): fc.Arbitrary<TypedArray> {
  return fc.tuple(arb, fc.nat(3)).map(([array, offset]) => {
    if (offset === 0) return array;
    const ctor = array.constructor as Ctor;
    const big = new ctor(array.length + offset + 1);
    (big as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(array, offset);
    return big.subarray(offset, offset + array.length) as TypedArray;
  });
}

const small = { maxLength: 12 };
const typedArrays: fc.Arbitrary<TypedArray> = fc.oneof(
  viewed(fc.int8Array(small)),
  viewed(fc.uint8Array(small)),
  viewed(fc.uint8ClampedArray(small)),
  viewed(fc.int16Array(small)),
  viewed(fc.uint16Array(small)),
  viewed(fc.int32Array(small)),
  viewed(fc.uint32Array(small)),
  viewed(fc.float32Array(small)),
  viewed(fc.float64Array(small)),
  viewed(fc.bigInt64Array(small)),
  viewed(fc.bigUint64Array(small)),
);

const ndArrays = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }).chain((shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const len = { minLength: n, maxLength: n };
  return fc
    .oneof(
      fc.float32Array(len),
      fc.float64Array(len),
      fc.int8Array(len),
      fc.uint8ClampedArray(len),
      fc.int32Array(len),
      fc.bigInt64Array(len),
      fc.bigUint64Array(len),
    )
    .map((data) => ({ data: data as TypedArray, shape: [...shape] }));
});

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
  ),
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.date({ noInvalidDate: true }),
);

/** A dictionary that is not accidentally an n-d array (exactly `data` and `shape`). */
const notNd = (o: Record<string, unknown>) => {
  const keys = Object.keys(o);
  return !(keys.length === 2 && keys.includes("data") && keys.includes("shape"));
};

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    typedArrays,
    ndArrays,
    tie("list"),
    tie("dict"),
    tie("map"),
  ),
  list: fc.array(tie("value"), { maxLength: 5 }),
  dict: fc
    .dictionary(
      key,
      fc.oneof({ weight: 5, arbitrary: tie("value") }, { weight: 1, arbitrary: fc.constant(undefined) }),
      {
        maxKeys: 5,
      },
    )
    .filter(notNd),
  map: fc
    .uniqueArray(
      fc.tuple(
        key,
        fc.oneof({ weight: 5, arbitrary: tie("value") }, { weight: 1, arbitrary: fc.constant(undefined) }),
      ),
      {
        maxLength: 4,
        selector: ([k]) => k,
      },
    )
    .map((entries) => new Map(entries)),
}));

describe("value codec round trips", () => {
  it("returns every generated value exactly (key order, -0, NaN, bigint, Date, Map order, typed array class and bits)", () => {
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 9 }), (v, offset) => {
        const back = roundTrip(v, offset);
        const diff = exactDiff(v, back);
        if (diff !== undefined) throw new Error(diff);
      }),
      { numRuns: RUNS },
    );
  });

  it("gives the same description text for the same value (deterministic)", () => {
    fc.assert(
      fc.property(value, (v) => {
        const a = jsonText(encodeValue(v, "value").description);
        const b = jsonText(encodeValue(v, "value").description);
        expect(a).toBe(b);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips every double bit-exactly, including NaN, ±Infinity and -0", () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(Object.is(roundTrip(x), x)).toBe(true);
        expect(Object.is(decodeMetadataValue(encodeMetadataValue(x, "m"), "m"), x)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it("round-trips every well-formed string and bigint", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.bigInt({ min: -(2n ** 512n), max: 2n ** 512n }),
        (s, n) => {
          expect(roundTrip(s)).toBe(s);
          expect(roundTrip(n)).toBe(n);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("round-trips dates over the whole Date range", () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (d) => {
        const back = roundTrip(d);
        expect(back).toBeInstanceOf(Date);
        expect((back as Date).getTime()).toBe(d.getTime());
      }),
      { numRuns: 2000 },
    );
    expect((roundTrip(new Date(8.64e15)) as Date).getTime()).toBe(8.64e15);
    expect((roundTrip(new Date(-8.64e15)) as Date).getTime()).toBe(-8.64e15);
  });

  it("round-trips metadata (JSON only) for values without arrays", () => {
    const jsonish = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(key, tie("v"), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(jsonish, (v) => {
        const description = JSON.parse(JSON.stringify(encodeMetadataValue(v, "metadata"))) as JsonValue;
        const diff = exactDiff(v, decodeMetadataValue(description, "metadata"));
        if (diff !== undefined) throw new Error(diff);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("value codec specifics", () => {
  it("keeps __proto__, constructor and kind as data on a plain object", () => {
    const v: Record<string, unknown> = {};
    Object.defineProperty(v, "__proto__", {
      value: { polluted: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    Object.assign(v, { constructor: "c" });
    v.kind = "typedarray";
    v.blob = "x.npy";
    const back = roundTrip(v) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["__proto__", "constructor", "kind", "blob"]);
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(back.kind).toBe("typedarray");
    expect(encodeValue(v, "v").description).toMatchObject({ kind: "object" });
  });

  it("decodes a hostile __proto__ description as data, never as a prototype", () => {
    const description = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as JsonValue;
    const back = decodeMetadataValue(description, "m") as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("decodes a Uint8ClampedArray as Uint8ClampedArray although both are |u1", () => {
    const encoded = encodeValue({ a: new Uint8ClampedArray([0, 255]), b: new Uint8Array([1]) }, "v");
    expect(encoded.description).toMatchObject({
      a: { dtype: "|u1", jsType: "Uint8ClampedArray" },
      b: { dtype: "|u1", jsType: "Uint8Array" },
    });
    const back = decodeValue(encoded.description, blobReader(encoded), "v") as Record<string, unknown>;
    expect(back.a).toBeInstanceOf(Uint8ClampedArray);
    expect(back.b).toBeInstanceOf(Uint8Array);
    expect(back.b).not.toBeInstanceOf(Uint8ClampedArray);
  });

  it("keeps an own property whose value is undefined, distinct from an absent one", () => {
    const back = roundTrip({ a: undefined, m: new Map([["x", undefined]]) }) as Record<string, unknown>;
    expect(Object.hasOwn(back, "a")).toBe(true);
    expect(back.a).toBeUndefined();
    expect((back.m as Map<string, unknown>).has("x")).toBe(true);
  });

  it("stores each typed and n-d array as its own .npy blob with names from the path", () => {
    const encoded = encodeValue(
      {
        buffers: [new Float32Array(2), new Int8Array(1)],
        grid: { data: new Float64Array(6), shape: [2, 3] },
        "a b": new Uint16Array(1),
      },
      "state.demo",
    );
    const names = encoded.blobs.map((blob) => blob.name);
    expect(names.slice(0, 3)).toEqual(["buffers.0.npy", "buffers.1.npy", "grid.npy"]);
    expect(names[3]).toMatch(/^k[0-9a-f]{12}\.npy$/);
    expect(encoded.description).toMatchObject({ grid: { kind: "ndarray", shape: [2, 3], dtype: "<f8" } });
  });

  it("keeps blob names unique case-insensitively", () => {
    const names = encodeValue({ A: new Int8Array(1), a: new Int8Array(1) }, "v").blobs.map((b) => b.name);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(2);
  });

  it("encodes a typed array without copying its bytes (the body chunk views the array's buffer)", () => {
    const array = new Float32Array(1024).subarray(16, 1000);
    const [blob] = encodeValue(array, "v").blobs;
    const body = blob!.chunks[1]!;
    expect(body.buffer).toBe(array.buffer);
    expect(body.byteOffset).toBe(array.byteOffset);
    expect(body.byteLength).toBe(array.byteLength);
    expect(blob!.size).toBe(blob!.chunks[0]!.byteLength + array.byteLength);
  });

  it("decodes large aligned arrays as views of the blob bytes, and copies misaligned or small ones", () => {
    const large = new Float64Array(VIEW_MIN_BYTES / 8).map((_, k) => k);
    const encoded = encodeValue(large, "v");
    const aligned = blobReader(encoded, 8)(encoded.blobs[0]!.name);
    const viewed = decodeValue(encoded.description, () => aligned, "v") as Float64Array;
    expect(viewed.buffer).toBe(aligned.buffer);
    const misaligned = blobReader(encoded, 3)(encoded.blobs[0]!.name);
    const copied = decodeValue(encoded.description, () => misaligned, "v") as Float64Array;
    expect(copied.buffer).not.toBe(misaligned.buffer);
    expect(exactDiff(copied, large)).toBeUndefined();
    // A small array gets a buffer of its own: no pooled slab kept alive, nothing else behind .buffer.
    const small = encodeValue(new Float64Array([1, 2, 3]), "v");
    const smallBytes = blobReader(small, 8)(small.blobs[0]!.name);
    const own = decodeValue(small.description, () => smallBytes, "v") as Float64Array;
    expect(own.buffer).not.toBe(smallBytes.buffer);
    expect(own.byteOffset).toBe(0);
    expect(own.buffer.byteLength).toBe(own.byteLength);
  });

  it("turns one-element arrays into scalars in metadata, like earth2studio's write", () => {
    expect(encodeMetadataValue(new Float64Array([6]), "m")).toBe(6);
    expect(encodeMetadataValue({ data: new Float32Array([Number.NaN]), shape: [1, 1] }, "m")).toEqual({
      kind: "number",
      value: "NaN",
    });
    expect(encodeMetadataValue(new BigInt64Array([5n]), "m")).toEqual({ kind: "bigint", value: "5" });
  });

  it("handles 0-d and empty n-d arrays", () => {
    const scalar = roundTrip({ data: new Float64Array([Math.PI]), shape: [] }) as {
      data: Float64Array;
      shape: number[];
    };
    expect(scalar.shape).toEqual([]);
    expect(scalar.data[0]).toBe(Math.PI);
    const empty = roundTrip({ data: new Int32Array(0), shape: [3, 0, 2] }) as {
      data: Int32Array;
      shape: number[];
    };
    expect(empty.shape).toEqual([3, 0, 2]);
    expect(empty.data.length).toBe(0);
  });
});
