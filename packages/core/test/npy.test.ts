import {
  CheckpointDecodeError,
  decodeMetadataValue,
  decodeNpy,
  decodeValue,
  dtypeOfName,
  encodeNpy,
  type JsonValue,
  npyHeader,
  readNpyHeader,
  VIEW_MIN_BYTES,
} from "@ckpt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** A .npy file from a raw header dict text (padded like numpy) and data bytes. */
function npyFile(
  dict: string,
  data: Uint8Array = new Uint8Array(0),
  version: [number, number] = [1, 0],
): Uint8Array {
  const pad = (64 - ((10 + dict.length + 1) % 64)) % 64;
  const text = `${dict}${" ".repeat(pad)}\n`;
  const out = new Uint8Array(10 + text.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version[0], version[1], text.length & 0xff, text.length >> 8]);
  for (let k = 0; k < text.length; k++) out[10 + k] = text.charCodeAt(k);
  out.set(data, 10 + text.length);
  return out;
}

function decodeError(fn: () => unknown): CheckpointDecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointDecodeError);
    expect((error as CheckpointDecodeError).code).toBe("E_DECODE");
    return error as CheckpointDecodeError;
  }
  throw new Error("did not throw");
}

const f8 = dtypeOfName("float64")!;

describe(".npy writing", () => {
  it("writes numpy's format 1.0 header, padded so the data starts on a 64-byte boundary", () => {
    const header = npyHeader("<f4", [2, 3]);
    expect(header.byteLength % 64).toBe(0);
    expect([...header.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const text = new TextDecoder().decode(header.subarray(10));
    expect(text).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    expect(new TextDecoder().decode(npyHeader("|u1", [5]))).toContain("'shape': (5,)");
    expect(new TextDecoder().decode(npyHeader("<i8", []))).toContain("'shape': ()");
  });

  it("aligns the header for every shape (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(2 ** 40), { maxLength: 64 }), (shape) => {
        const header = npyHeader("<f8", shape);
        expect(header.byteLength % 64).toBe(0);
        expect(readNpyHeader(header).shape).toEqual(shape);
      }),
      { numRuns: 1000 },
    );
  });

  it("returns the header and a view of the array's own bytes", () => {
    const data = new Int16Array([1, 2, 3, 4, 5, 6]);
    const { chunks, size } = encodeNpy(data, [3, 2]);
    expect(chunks[1].buffer).toBe(data.buffer);
    expect(size).toBe(chunks[0].byteLength + 12);
    expect(() => encodeNpy(data, [4, 2])).toThrow(/shape \[4,2\] does not describe the 6 elements/);
  });
});

describe(".npy reading refuses inconsistent files", () => {
  const data = new Uint8Array(new Float64Array([1, 2, 3, 4, 5, 6]).buffer);
  const good = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data);
  const expect23 = { dtype: f8, shape: [2, 3] };

  it("reads a consistent file (double quotes and Python 2 'L' dimensions too)", () => {
    expect(Array.from(decodeNpy(good, { expect: expect23 }).data as Float64Array)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    const py2 = npyFile('{"descr": "<f8", "fortran_order": False, "shape": (2L, 3L)}', data);
    expect(decodeNpy(py2).shape).toEqual([2, 3]);
  });

  it("bad magic, unsupported version", () => {
    const wrong = good.slice();
    wrong[1] = 0x4f;
    expect(decodeError(() => decodeNpy(wrong, { path: "x" })).message).toBe("x: not a .npy file (bad magic)");
    expect(decodeError(() => decodeNpy(npyFile("{}", data, [3, 0]))).message).toMatch(
      /unsupported \.npy format version 3\.0/,
    );
    expect(decodeError(() => decodeNpy(good.subarray(0, 8))).message).toMatch(/bad magic/);
  });

  it("a header longer than the object, non-ASCII, or not numpy's three keys", () => {
    expect(decodeError(() => decodeNpy(good.subarray(0, 40))).message).toMatch(/object is shorter/);
    const accented = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'x': 'é'}", data);
    expect(decodeError(() => decodeNpy(accented)).message).toMatch(/not printable ASCII/);
    const extra = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'x': 1}", data);
    expect(decodeError(() => decodeNpy(extra)).message).toMatch(/malformed|exactly descr/);
    const missing = npyFile("{'descr': '<f8', 'shape': (6,)}", data);
    expect(decodeError(() => decodeNpy(missing)).message).toMatch(/exactly descr, fortran_order and shape/);
    const code = npyFile("{'descr': __import__('os'), 'fortran_order': False, 'shape': (6,)}", data);
    expect(decodeError(() => decodeNpy(code)).message).toMatch(/malformed \.npy header/);
  });

  it("dtype or shape different from the description", () => {
    expect(
      decodeError(() => decodeNpy(good, { expect: { dtype: dtypeOfName("int64")!, shape: [2, 3] } })).message,
    ).toMatch(
      /checkpoint array metadata does not match stored data: dtype <f8 in the \.npy file, <i8 in the description/,
    );
    expect(decodeError(() => decodeNpy(good, { expect: { dtype: f8, shape: [3, 2] } })).message).toMatch(
      /shape \[2,3\] in the \.npy file, \[3,2\] in the description/,
    );
  });

  it("a byte count that does not match the shape (truncated or with extra bytes)", () => {
    expect(
      decodeError(() => decodeNpy(good.subarray(0, good.byteLength - 1), { expect: expect23 })).message,
    ).toMatch(/needs 48 bytes of data, the object holds 47/);
    const longer = new Uint8Array(good.byteLength + 8);
    longer.set(good);
    expect(decodeError(() => decodeNpy(longer, { expect: expect23 })).message).toMatch(/holds 56/);
  });

  it("absurd shapes, before allocating anything", () => {
    const huge = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (67108864, 67108864), }", data);
    expect(
      decodeError(() => decodeNpy(huge, { expect: { dtype: f8, shape: [2 ** 26, 2 ** 26] } })).message,
    ).toMatch(/needs 36028797018963970 bytes of data, the object holds 48/);
    const overflow = npyFile(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (9007199254740991, 4), }",
      data,
    );
    expect(decodeError(() => decodeNpy(overflow)).message).toMatch(/needs too many bytes/);
    const tooBig = npyFile(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
      data,
    );
    expect(decodeError(() => decodeNpy(tooBig)).message).toMatch(/dimension too large/);
  });

  it("Fortran order and object dtypes", () => {
    const fortran = npyFile("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", data);
    expect(decodeError(() => decodeNpy(fortran, { expect: expect23 })).message).toMatch(
      /Fortran order is not read/,
    );
    const object = npyFile("{'descr': '|O', 'fortran_order': False, 'shape': (6,), }", data);
    expect(decodeError(() => decodeNpy(object)).message).toMatch(/unsupported \.npy dtype "\|O"/);
  });

  it("views large aligned data, copies misaligned or small data", () => {
    const shifted = new Uint8Array(good.byteLength + 1).subarray(1);
    shifted.set(good);
    const copy = decodeNpy(shifted, { expect: expect23 }).data;
    expect(copy.buffer).not.toBe(shifted.buffer);
    expect(Array.from(copy as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(decodeNpy(good, { expect: expect23 }).data.buffer).not.toBe(good.buffer);
    const n = VIEW_MIN_BYTES / 8;
    const big = npyFile(
      `{'descr': '<f8', 'fortran_order': False, 'shape': (${n},), }`,
      new Uint8Array(VIEW_MIN_BYTES),
    );
    expect(decodeNpy(big).data.buffer).toBe(big.buffer);
  });
});

describe("descriptions the decoder refuses", () => {
  const blob = npyHeader("<f8", [0]);
  const read = () => blob;
  const refuse = (description: unknown, message: RegExp) =>
    expect(decodeError(() => decodeValue(description as JsonValue, read, "state.x")).message).toMatch(
      message,
    );

  it("packed arrays that are not canonical base64 .npy bytes, or name a blob too", () => {
    const packed = Buffer.from(npyHeader("<f8", [0])).toString("base64");
    const array = { kind: "typedarray", jsType: "Float64Array", dtype: "<f8", shape: [0] };
    expect(decodeValue({ ...array, npy: packed }, read, "state.x")).toEqual(new Float64Array(0));
    refuse({ ...array, npy: 3 }, /state\.x: packed npy must be a base64 string/);
    refuse({ ...array, npy: "not base64!" }, /packed npy must be a base64 string/);
    refuse({ ...array, npy: `${packed.slice(0, -2)}A=` }, /packed npy is not canonical base64|\.npy/);
    refuse({ ...array, npy: packed, blob: "x.npy" }, /keys \["kind","jsType","dtype","shape","npy","blob"\]/);
    refuse({ ...array, shape: [1], npy: packed }, /state\.x \(packed \.npy\)/);
    expect(
      decodeError(() => decodeMetadataValue({ ...array, npy: packed } as JsonValue, "metadata.x")).message,
    ).toMatch(/arrays are not stored inline/);
  });

  it("unknown kinds and malformed tags", () => {
    refuse({ kind: "function", source: "() => 1" }, /state\.x: unknown kind "function"/);
    refuse({ kind: 3 }, /unknown kind 3/);
    refuse({ kind: "number", value: "1e400" }, /unknown number "1e400"/);
    refuse({ kind: "bigint", value: "12abc" }, /decimal integer string/);
    refuse({ kind: "bigint", value: "1", extra: 1 }, /keys \["kind","value","extra"\]/);
    refuse({ kind: "date", value: "yesterday" }, /invalid date "yesterday"/);
    refuse({ kind: "date", value: "2024-02-30T00:00:00.000Z" }, /invalid date/);
    refuse([{ kind: "undefined" }], /state\.x\[0\]: undefined is only stored as an object property/);
    refuse(
      {
        kind: "map",
        entries: [
          ["a", 1],
          ["a", 2],
        ],
      },
      /duplicate Map key "a"/,
    );
    refuse({ kind: "map", entries: [[1, 1]] }, /\[string key, description\]/);
    refuse({ kind: "object", entries: [] }, /entries must be a JSON object/);
    refuse("\ud800", /lone surrogate/);
  });

  it("array descriptions with unknown types, wrong dtypes, bad shapes or blob names", () => {
    const base = { kind: "typedarray", jsType: "Float64Array", dtype: "<f8", shape: [0], blob: "x.npy" };
    for (const jsType of ["Function", "constructor", "__proto__", "Buffer", "DataView"])
      refuse({ ...base, jsType }, /unknown array type/);
    refuse({ ...base, dtype: "<f4" }, /dtype "<f4" does not match Float64Array \(<f8\)/);
    refuse({ ...base, shape: [2, 3] }, /invalid shape \[2,3\]/);
    refuse({ ...base, kind: "ndarray", shape: [-1] }, /invalid shape \[-1\]/);
    refuse({ ...base, kind: "ndarray", shape: [2 ** 40, 2 ** 40] }, /invalid shape/);
    refuse({ ...base, blob: "../../etc/passwd" }, /invalid blob name/);
    refuse([base, base], /blob "x\.npy" is referenced twice/);
    expect(() => decodeValue(base, () => "bytes" as unknown as Uint8Array, "v")).toThrow(
      /did not return a Uint8Array/,
    );
  });

  it("blob references in metadata", () => {
    expect(() =>
      decodeMetadataValue(
        { kind: "typedarray", jsType: "Float64Array", dtype: "<f8", shape: [1], blob: "x.npy" },
        "metadata.x",
      ),
    ).toThrow(/metadata\.x: arrays are not stored inline/);
  });
});
