import {
  CheckpointSerializationError,
  CkptError,
  encodeMetadataValue,
  encodeValue,
  MAX_DEPTH,
} from "@ckpt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** The error `encodeValue(value, path)` throws (fails the test when it does not throw). */
function refusal(value: unknown, path = "state.demo.RngState"): CheckpointSerializationError {
  try {
    encodeValue(value, path);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointSerializationError);
    expect(error).toBeInstanceOf(CkptError);
    expect((error as CheckpointSerializationError).code).toBe("E_SERIALIZATION");
    return error as CheckpointSerializationError;
  }
  throw new Error(`encodeValue accepted ${String(value)}`);
}

function expectRefused(value: unknown, path: string, message: RegExp): void {
  const error = refusal(value);
  expect(error.path).toBe(path);
  expect(error.message.startsWith(`${path}: `)).toBe(true);
  expect(error.message).toMatch(message);
}

class Particle {
  x = 1;
}

describe("values the codec refuses, each naming the path", () => {
  it("a function, e.g. state.demo.RngState.buffers[3]", () => {
    expectRefused(
      { buffers: [1, 2, 3, () => 4] },
      "state.demo.RngState.buffers[3]",
      /unsupported checkpoint value: a function/,
    );
  });

  it("a symbol value and a symbol key", () => {
    expectRefused({ s: Symbol("x") }, "state.demo.RngState.s", /a symbol/);
    expectRefused({ [Symbol("k")]: 1 }, "state.demo.RngState", /symbol key/);
  });

  it("class instances, naming the class", () => {
    expectRefused({ p: new Particle() }, "state.demo.RngState.p", /an instance of Particle/);
    expectRefused([new Error("x")], "state.demo.RngState[0]", /an instance of Error/);
    expectRefused([/re/], "state.demo.RngState[0]", /an instance of RegExp/);
    expectRefused([new Number(1)], "state.demo.RngState[0]", /an instance of Number/);
    expectRefused([new WeakMap()], "state.demo.RngState[0]", /an instance of WeakMap/);
  });

  it("Set, ArrayBuffer, DataView and Promise, with what to use instead", () => {
    expectRefused({ s: new Set([1]) }, "state.demo.RngState.s", /a Set \(store an array instead\)/);
    expectRefused({ b: new ArrayBuffer(4) }, "state.demo.RngState.b", /ArrayBuffer \(store a typed array/);
    expectRefused({ b: new DataView(new ArrayBuffer(4)) }, "state.demo.RngState.b", /DataView/);
    expectRefused({ p: Promise.resolve(1) }, "state.demo.RngState.p", /Promise \(await it first\)/);
  });

  it("subclasses of Map, Date, Array and typed arrays", () => {
    class MyMap extends Map<string, number> {}
    class MyDate extends Date {}
    class MyArray extends Float32Array {}
    class MyList extends Array<number> {}
    expectRefused({ m: new MyMap() }, "state.demo.RngState.m", /MyMap, a subclass/);
    expectRefused({ d: new MyDate(0) }, "state.demo.RngState.d", /MyDate, a subclass/);
    expectRefused({ a: new MyArray(2) }, "state.demo.RngState.a", /MyArray, a subclass/);
    expectRefused({ l: MyList.from([1]) }, "state.demo.RngState.l", /MyList, a subclass/);
  });

  it("undefined inside an array, and undefined at the top", () => {
    expectRefused(
      { a: [1, undefined] },
      "state.demo.RngState.a[1]",
      /undefined inside an array \(use null\)/,
    );
    expectRefused(undefined, "state.demo.RngState", /unsupported checkpoint value: undefined/);
  });

  it("sparse arrays and arrays with named properties", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expectRefused({ a: [1, , 3] }, "state.demo.RngState.a[1]", /a hole in a sparse array/);
    const named = Object.assign([1, 2], { extra: true });
    expectRefused({ a: named }, "state.demo.RngState.a", /named properties/);
  });

  it("getters and non-enumerable properties", () => {
    expectRefused(
      {
        get x() {
          return 1;
        },
      },
      "state.demo.RngState.x",
      /getter\/setter/,
    );
    const hidden = Object.defineProperty({}, "h", { value: 1, enumerable: false });
    expectRefused(hidden, "state.demo.RngState.h", /non-enumerable/);
  });

  it("cycles, naming the ancestor", () => {
    const a: Record<string, unknown> = { b: {} };
    (a.b as Record<string, unknown>).back = a;
    expectRefused(a, "state.demo.RngState.b.back", /a cycle: .* ancestor state\.demo\.RngState;/);
    const list: unknown[] = [];
    list.push(list);
    expectRefused(list, "state.demo.RngState[0]", /a cycle/);
    const map = new Map<string, unknown>();
    map.set("self", map);
    expectRefused(map, 'state.demo.RngState.get("self")', /a cycle/);
  });

  it("shared references that a round trip would duplicate", () => {
    const shared = { x: 1 };
    expectRefused(
      { a: shared, b: shared },
      "state.demo.RngState.b",
      /shared reference: the same object as state\.demo\.RngState\.a/,
    );
    const array = new Float32Array(4);
    expectRefused({ a: array, b: [array] }, "state.demo.RngState.b[0]", /shared reference/);
    const date = new Date(0);
    expectRefused([date, date], "state.demo.RngState[1]", /shared reference/);
    const buffer = new Float64Array(8);
    expectRefused(
      { a: buffer.subarray(0, 5), b: buffer.subarray(4, 8) },
      "state.demo.RngState.b",
      /shares memory with state\.demo\.RngState\.a/,
    );
    expectRefused(
      { nd: { data: array, shape: [4] }, again: array },
      "state.demo.RngState.again",
      /shared reference/,
    );
    // Disjoint views of one buffer stay independent after a round trip too: accepted.
    expect(() => encodeValue({ a: buffer.subarray(0, 4), b: buffer.subarray(4, 8) }, "v")).not.toThrow();
  });

  it("Map keys that are not strings", () => {
    expectRefused(
      { m: new Map([[1, "a"]]) },
      "state.demo.RngState.m",
      /checkpoint dictionaries must use string keys: a Map key is number 1/,
    );
    expectRefused({ m: new Map([[{}, "a"]]) }, "state.demo.RngState.m", /must use string keys/);
  });

  it("lone surrogates in strings, keys and Map keys", () => {
    expectRefused({ s: "a\ud800b" }, "state.demo.RngState.s", /lone surrogate/);
    const loneKey = String.fromCharCode(0xdc00);
    expectRefused({ [loneKey]: 1 }, "state.demo.RngState", /key with a lone surrogate/);
    expectRefused(new Map([["\ud83d", 1]]), "state.demo.RngState", /Map key with a lone surrogate/);
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 4 }),
        surrogate,
        fc.string({ unit: "binary", maxLength: 4 }),
        (a, s, b) => {
          // A lone surrogate stays lone unless it pairs with a neighbour; skip those.
          fc.pre(!`${a}${s}${b}`.isWellFormed());
          expect(() => encodeValue({ s: `${a}${s}${b}` }, "v")).toThrow(CheckpointSerializationError);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("invalid dates", () => {
    expectRefused({ d: new Date(Number.NaN) }, "state.demo.RngState.d", /an invalid Date/);
  });

  it("n-d arrays whose shape does not match their data", () => {
    expectRefused(
      { g: { data: new Float32Array(5), shape: [2, 3] } },
      "state.demo.RngState.g",
      /shape \[2,3\] holds 6 elements but whose data has 5/,
    );
    expectRefused(
      { g: { data: new Float32Array(2), shape: [-2, -1] } },
      "state.demo.RngState.g.shape",
      /non-negative integers/,
    );
  });

  it(`values nested deeper than ${MAX_DEPTH} levels`, () => {
    let deep: unknown = 1;
    for (let k = 0; k < MAX_DEPTH + 5; k++) deep = [deep];
    expect(refusal(deep).message).toMatch(/nested more than 1000 levels deep/);
  });

  it("metadata arrays of more than one element (no blobs in metadata)", () => {
    expect(() => encodeMetadataValue({ x: new Float32Array(3) }, "metadata")).toThrow(
      /metadata\.x: a Float32Array of 3 elements cannot be stored inline/,
    );
  });
});
