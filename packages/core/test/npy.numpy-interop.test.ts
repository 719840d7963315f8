import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CheckpointDecodeError,
  checkpointState,
  DTYPES,
  decodeNpy,
  decodeValue,
  dtypeOfDescr,
  encodeState,
  encodeValue,
  ndArray,
  type TypedArray,
  typedArray,
} from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { blobBytes } from "./helpers/codec.js";
import { python, requireNumpy } from "./helpers/python.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "ckpt-npy-"));
});
afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** Edge values per element type, as numbers or bigints. */
function edgeValues(name: string): (number | bigint)[] {
  switch (name) {
    case "int8":
      return [-128, 127, 0, -1, 42];
    case "uint8":
    case "uint8clamped":
      return [0, 255, 1, 128];
    case "int16":
      return [-32768, 32767, 0, -1];
    case "uint16":
      return [0, 65535, 1];
    case "int32":
      return [-(2 ** 31), 2 ** 31 - 1, 0, -1];
    case "uint32":
      return [0, 2 ** 32 - 1, 1];
    case "int64":
      return [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n + 1n];
    case "uint64":
      return [0n, 2n ** 64n - 1n, 2n ** 53n + 1n];
    case "float32":
      return [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        0,
        3.4028234663852886e38,
        1.401298464324817e-45,
        Math.fround(Math.PI),
      ];
    default:
      return [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        0,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        Math.PI,
        1 / 3,
      ];
  }
}

function text(x: number | bigint): string {
  return typeof x === "bigint" ? x.toString() : Object.is(x, -0) ? "-0" : String(x);
}

describe("numpy reads what ckpt writes", () => {
  it("loads every dtype (1-d, n-d, 0-d, empty) with the same dtype, shape and values", () => {
    // Each test fails (is never skipped) with install instructions when numpy is missing.
    requireNumpy();
    const expected: Record<string, { dtype: string; shape: number[]; values: string[] }> = {};
    for (const dtype of DTYPES) {
      const make = (values: readonly (number | bigint)[]): TypedArray => {
        const array = dtype.view(new ArrayBuffer(values.length * dtype.itemSize), 0, values.length);
        values.forEach((v, k) => {
          (array as unknown as (number | bigint)[])[k] = v;
        });
        return array;
      };
      const edges = edgeValues(dtype.name);
      const is64 = dtype.name === "int64" || dtype.name === "uint64";
      const seq = Array.from({ length: 24 }, (_, k) =>
        is64 ? BigInt(k) : dtype.name.startsWith("float") ? k / 7 : k,
      );
      const value = {
        edges: make(edges),
        grid: { data: make(seq), shape: [2, 3, 4] },
        scalar: { data: make(edges.slice(1, 2)), shape: [] },
        empty: { data: make([]), shape: [3, 0] },
      };
      const encoded = encodeValue(value, `value.${dtype.name}`);
      for (const blob of encoded.blobs) {
        const file = `${dtype.name}_${blob.name}`;
        writeFileSync(join(folder, file), blobBytes(blob));
        const source = blob.name.replace(".npy", "") as keyof typeof value;
        const part = value[source];
        const data = ArrayBuffer.isView(part) ? part : part.data;
        const shape = ArrayBuffer.isView(part) ? [part.length] : part.shape;
        const stored = Array.from(data as ArrayLike<number | bigint>);
        // Stored float32 values are what Float32Array holds (fround), which numpy reads back.
        expected[file] = { dtype: dtype.descr, shape, values: stored.map(text) };
      }
    }
    writeFileSync(join(folder, "expected.json"), JSON.stringify(expected));
    const out = python([join(fixtures, "numpy_check.py"), folder]);
    expect(out.trim()).toBe(`ok ${Object.keys(expected).length}`);
    expect(Object.keys(expected).length).toBe(DTYPES.length * 4);
  });
});

describe("ckpt reads what numpy writes", () => {
  let folderWritten: string | undefined;
  /** numpy's files, written on first use so a missing numpy fails each test rather than skipping it. */
  const numpyFolder = (): string => {
    if (folderWritten === undefined) {
      requireNumpy();
      const out = mkdtempSync(join(tmpdir(), "ckpt-npy-numpy-"));
      python([join(fixtures, "numpy_write.py"), out]);
      folderWritten = out;
    }
    return folderWritten;
  };
  afterAll(() => {
    if (folderWritten) rmSync(folderWritten, { recursive: true, force: true });
  });

  it("reads every dtype numpy writes with the same shape and values", () => {
    const written = numpyFolder();
    const expected = JSON.parse(readFileSync(join(written, "expected.json"), "utf8")) as Record<
      string,
      { dtype: string; shape: number[]; values: string[] }
    >;
    const seen = new Set<string>();
    for (const [file, exp] of Object.entries(expected)) {
      const array = decodeNpy(new Uint8Array(readFileSync(join(written, file))), { path: file });
      expect(array.descr, file).toBe(exp.dtype);
      expect(array.shape, file).toEqual(exp.shape);
      const values = Array.from(array.data as ArrayLike<number | bigint>);
      expect(values.length, file).toBe(exp.values.length);
      values.forEach((got, k) => {
        const want = exp.values[k]!;
        if (typeof got === "bigint") expect(got, `${file}[${k}]`).toBe(BigInt(want));
        else
          expect(
            Object.is(got, Number(want)) || (Number.isNaN(got) && want === "NaN"),
            `${file}[${k}]: ${got} vs ${want}`,
          ).toBe(true);
      });
      seen.add(exp.dtype);
    }
    // Every dtype ckpt stores was exercised (|u1 covers Uint8Array and Uint8ClampedArray).
    expect([...seen].sort()).toEqual([...new Set(DTYPES.map((d) => d.descr))].sort());
  });

  it("decodes a numpy file through a description (n-d, as Uint8ClampedArray too)", () => {
    const written = numpyFolder();
    const bytes = new Uint8Array(readFileSync(join(written, "u1_nd.npy")));
    const back = decodeValue(
      { kind: "ndarray", jsType: "Uint8ClampedArray", dtype: "|u1", shape: [2, 3, 4], blob: "u1_nd.npy" },
      () => bytes,
      "value",
    ) as { data: Uint8ClampedArray; shape: number[] };
    expect(back.data).toBeInstanceOf(Uint8ClampedArray);
    expect(back.shape).toEqual([2, 3, 4]);
    expect(Array.from(back.data)).toEqual(Array.from({ length: 24 }, (_, k) => k));
    expect(dtypeOfDescr("|u1")?.jsType).toBe("Uint8Array");
  });

  it("refuses Fortran order, object, big-endian, bool, float16, complex and structured files", () => {
    const written = numpyFolder();
    const bad = readdirSync(written).filter((f) => f.startsWith("bad_"));
    expect(bad.length).toBe(7);
    const messages: Record<string, RegExp> = {
      "bad_fortran.npy": /Fortran order/,
      "bad_object.npy": /unsupported \.npy dtype "\|O"/,
      "bad_bigendian.npy": /unsupported \.npy dtype ">f4"/,
      "bad_bool.npy": /unsupported \.npy dtype "\|b1"/,
      "bad_float16.npy": /unsupported \.npy dtype "<f2"/,
      "bad_complex.npy": /unsupported \.npy dtype "<c8"/,
      "bad_structured.npy": /structured dtypes are not read/,
    };
    for (const file of bad) {
      const bytes = new Uint8Array(readFileSync(join(written, file)));
      let error: unknown;
      try {
        decodeNpy(bytes, { path: file });
      } catch (caught) {
        error = caught;
      }
      expect(error, file).toBeInstanceOf(CheckpointDecodeError);
      expect((error as Error).message, file).toMatch(messages[file]!);
      expect((error as Error).message.startsWith(file)).toBe(true);
    }
    // The object dtype is refused through a description as well, naming the mismatch.
    const objectBytes = new Uint8Array(readFileSync(join(written, "bad_object.npy")));
    expect(() =>
      decodeValue(
        { kind: "typedarray", jsType: "Float64Array", dtype: "<f8", shape: [3], blob: "o.npy" },
        () => objectBytes,
        "value.x",
      ),
    ).toThrow(/value\.x \(o\.npy\): checkpoint array metadata does not match stored data: dtype \|O/);
  });
});

describe("a saved state folder is readable with json and numpy alone", () => {
  it("reads state.json, its packed arrays and its .npy files back to the same values", () => {
    requireNumpy();
    const Demo = checkpointState(
      "demo.Interop",
      z.object({
        seed: z.bigint(),
        weights: ndArray("float32", { ndim: 2 }),
        buffers: z.array(typedArray("int64")),
        names: z.map(z.string(), z.number()),
        kind: z.string(),
      }),
    );
    const { stateJson, blobs } = encodeState(Demo, {
      seed: 2n ** 70n,
      weights: { data: new Float32Array([0.5, -0, 1.5, 2, 3, 4]), shape: [3, 2] },
      buffers: [new BigInt64Array([-(2n ** 63n)]), new BigInt64Array(1000).fill(3n)],
      names: new Map([["a", 1]]),
      kind: "not a tag",
    });
    // The small arrays are packed into state.json, the 8,000-byte one is a .npy file.
    expect(blobs.map((blob) => blob.name)).toEqual(["buffers.1.npy"]);
    const stateFolder = mkdtempSync(join(tmpdir(), "ckpt-state-"));
    try {
      writeFileSync(join(stateFolder, "state.json"), stateJson);
      for (const blob of blobs) writeFileSync(join(stateFolder, blob.name), blobBytes(blob));
      const read = JSON.parse(python([join(fixtures, "read_state.py"), stateFolder]));
      expect(read).toEqual({
        id: "demo.Interop",
        fields: {
          seed: (2n ** 70n).toString(),
          weights: { dtype: "<f4", shape: [3, 2], values: ["0.5", "-0.0", "1.5", "2.0", "3.0", "4.0"] },
          buffers: [
            { dtype: "<i8", shape: [1], values: [(-(2n ** 63n)).toString()] },
            { dtype: "<i8", shape: [1000], values: Array.from({ length: 1000 }, () => "3") },
          ],
          names: { a: 1 },
          kind: "not a tag",
        },
      });
    } finally {
      rmSync(stateFolder, { recursive: true, force: true });
    }
  });
});
