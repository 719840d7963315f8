import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  CheckpointDecodeError,
  CheckpointStateSchemaError,
  checkpointState,
  encodeState,
  ndArray,
  restoreState,
  schemaHash,
  typedArray,
} from "@ckpt/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { z as z3 } from "zod3";
import { z as z3v4 } from "zod3/v4";
import { buildSchemas, hashes } from "./fixtures/schemas.js";
import { blobBytes, exactDiff } from "./helpers/codec.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const schemasScript = fileURLToPath(new URL("./fixtures/schemas.ts", import.meta.url));

describe("schema hash", () => {
  it("is the same in another process with every object's keys in reverse order", () => {
    const here = hashes(false);
    const there = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "--conditions=@ckpt/source", schemasScript], {
        cwd: repoRoot,
        encoding: "utf8",
      }),
    ) as Record<string, string>;
    expect(there).toEqual(here);
    expect(hashes(true)).toEqual(here);
  });

  it("is pinned: a change to the canonical description is a deliberate format change", () => {
    // If this fails, every saved checkpoint's hash changes: bump the description version on purpose.
    expect(hashes(false)).toEqual({
      rng: "sha256:1edfc1a397b07e59778b4d03d9cae836e7bd460e8064686e68aebc412daa24ba",
      nested: "sha256:b03707a12155e97953198b89a35678aecff31a1fd78d6803da4f7fd47f00047f",
    });
  });

  it("changes with any field's name, type, dtype, optionality or nesting", () => {
    const base = z.object({ a: z.number(), b: typedArray("float32"), c: z.object({ d: z.string() }) });
    const variants = {
      renamed: z.object({ A: z.number(), b: typedArray("float32"), c: z.object({ d: z.string() }) }),
      retyped: z.object({ a: z.string(), b: typedArray("float32"), c: z.object({ d: z.string() }) }),
      int: z.object({ a: z.number().int(), b: typedArray("float32"), c: z.object({ d: z.string() }) }),
      dtype: z.object({ a: z.number(), b: typedArray("float64"), c: z.object({ d: z.string() }) }),
      clamped: z.object({ a: z.number(), b: typedArray("uint8clamped"), c: z.object({ d: z.string() }) }),
      ndarray: z.object({ a: z.number(), b: ndArray("float32"), c: z.object({ d: z.string() }) }),
      optional: z.object({
        a: z.number().optional(),
        b: typedArray("float32"),
        c: z.object({ d: z.string() }),
      }),
      nullable: z.object({
        a: z.number().nullable(),
        b: typedArray("float32"),
        c: z.object({ d: z.string() }),
      }),
      nestedType: z.object({ a: z.number(), b: typedArray("float32"), c: z.object({ d: z.number() }) }),
      nestedName: z.object({ a: z.number(), b: typedArray("float32"), c: z.object({ e: z.string() }) }),
      nestedOptional: z.object({
        a: z.number(),
        b: typedArray("float32"),
        c: z.object({ d: z.string() }).optional(),
      }),
      added: z.object({
        a: z.number(),
        b: typedArray("float32"),
        c: z.object({ d: z.string() }),
        e: z.null(),
      }),
      removed: z.object({ a: z.number(), b: typedArray("float32") }),
      array: z.object({ a: z.array(z.number()), b: typedArray("float32"), c: z.object({ d: z.string() }) }),
      strict: z.strictObject({ a: z.number(), b: typedArray("float32"), c: z.object({ d: z.string() }) }),
    };
    const all = [schemaHash(base), ...Object.values(variants).map((schema) => schemaHash(schema))];
    expect(new Set(all).size).toBe(all.length);
    expect(schemaHash(ndArray("float32", { ndim: 2 }))).not.toBe(schemaHash(ndArray("float32", { ndim: 3 })));
  });

  it("ignores refinements, messages and descriptions, and sees through refine/meta on array schemas", () => {
    const plain = z.object({ a: z.number(), s: z.string(), b: typedArray("int16") });
    const refined = z.object({
      a: z.number().min(0).max(10, "too big"),
      s: z.string().email().describe("mail"),
      b: typedArray("int16")
        .refine((v) => v.length > 0)
        .meta({ title: "b" }),
    });
    expect(schemaHash(refined)).toBe(schemaHash(plain));
  });

  it("treats z.instanceof(Float64Array) like typedArray('float64')", () => {
    expect(schemaHash(z.object({ x: z.instanceof(Float64Array) }))).toBe(
      schemaHash(z.object({ x: typedArray("float64") })),
    );
    expect(schemaHash(z.object({ x: z.instanceof(Float64Array) }))).not.toBe(
      schemaHash(z.object({ x: z.instanceof(Float32Array) })),
    );
  });

  it("describes recursive schemas (getters and z.lazy)", () => {
    type Node = { name: string; kids: Node[] };
    const Node: z.ZodType<Node> = z.object({
      name: z.string(),
      get kids() {
        return z.array(Node);
      },
    });
    const Lazy: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), kids: z.array(Lazy) }));
    expect(schemaHash(Node)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(schemaHash(Lazy)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(schemaHash(buildSchemas(false).rng!)).not.toBe(schemaHash(Node));
  });
});

describe("checkpointState", () => {
  it("declares a frozen type with id, schema and hash", () => {
    const schema = z.object({ seed: z.number() });
    const type = checkpointState("demo.RngState", schema);
    expect(type.id).toBe("demo.RngState");
    expect(type.schema).toBe(schema);
    expect(type.schemaHash).toBe(schemaHash(schema));
    expect(Object.isFrozen(type)).toBe(true);
  });

  it("refuses ids that cannot be folder names and schemas that are not z.object", () => {
    for (const id of ["", "a/b", "..", ".hidden", "-x", "a b", "é", "x".repeat(129)])
      expect(() => checkpointState(id, z.object({}))).toThrow(CheckpointStateSchemaError);
    expect(() => checkpointState("ok", z.number() as unknown as z.ZodObject)).toThrow(/must be a z\.object/);
  });

  it("refuses a zod 3 schema saying zod 4 is needed", () => {
    const schema = z3.object({ seed: z3.number() }) as unknown as z.ZodObject;
    expect(() => checkpointState("demo.Zod3", schema)).toThrow(CheckpointStateSchemaError);
    expect(() => checkpointState("demo.Zod3", schema)).toThrow(
      /zod 4 is needed: this schema was made with zod 3/,
    );
    // zod 3.25 ships zod 4 under "zod/v4", which the message points to: accepted.
    const v4 = z3v4.object({ seed: z3v4.number() }) as unknown as z.ZodObject;
    expect(checkpointState("demo.Zod4", v4).schemaHash).toBe(schemaHash(z.object({ seed: z.number() })));
  });

  it("refuses an unknown dtype naming it, and an array class naming the dtype to pass", () => {
    expect(() => typedArray("float16" as "float32")).toThrow(
      /Unknown dtype "float16": expected one of "int8", "uint8"/,
    );
    // What a JavaScript caller may write instead of the dtype's name.
    const byClass = Float32Array as unknown as "float32";
    expect(() => typedArray(byClass)).toThrow(
      'Unknown dtype Float32Array: pass the dtype\'s name, "float32", not the array class',
    );
    expect(() => ndArray(BigInt64Array as unknown as "int64")).toThrow(/"int64", not the array class/);
  });

  it("refuses field types the codec cannot store, naming the field", () => {
    expect(() => checkpointState("s", z.object({ tags: z.set(z.string()) }))).toThrow(
      /Checkpoint state s: field tags has a type the codec cannot store \(set\)/,
    );
    expect(() => checkpointState("s", z.object({ n: z.object({ k: z.symbol() }) }))).toThrow(
      /field n\.k .*\(symbol\)/,
    );
    expect(() => checkpointState("s", z.object({ p: z.promise(z.number()) }))).toThrow(/\(promise\)/);
  });
});

const Demo = checkpointState(
  "demo.State",
  z.object({
    seed: z.number(),
    counter: z.bigint(),
    buffers: z.array(typedArray("float32")),
    grid: ndArray("float64", { ndim: 2 }),
    names: z.map(z.string(), z.number()),
    note: z.string().optional(),
  }),
);
type DemoValue = z.infer<typeof Demo.schema>;

/** Arrays above the 4 KiB packing threshold, except buffers[1], which stays packed. */
function largeDemoValue(seed: number): DemoValue {
  const buffer = new Float32Array(2048);
  buffer[0] = seed;
  const grid = new Float64Array(6 * 200);
  grid[5] = seed;
  return {
    ...demoValue(seed),
    buffers: [buffer, new Float32Array([-0])],
    grid: { data: grid, shape: [200, 6] },
  };
}

function demoValue(seed: number): DemoValue {
  return {
    seed,
    counter: BigInt(seed) * 10n ** 20n,
    buffers: [new Float32Array([seed, Number.NaN]), new Float32Array([-0])],
    grid: { data: new Float64Array([1, 2, 3, 4, 5, seed]), shape: [2, 3] },
    names: new Map([
      ["b", 2],
      ["a", 1],
    ]),
    note: undefined,
  };
}

function save(type: typeof Demo, value: object) {
  const { stateJson, blobs } = encodeState(type, value);
  const stored = new Map(blobs.map((blob) => [blob.name, blobBytes(blob)]));
  const readBlob = (name: string) => {
    const bytes = stored.get(name);
    if (bytes === undefined) throw new Error(`missing ${name}`);
    return bytes;
  };
  return { stateJson, blobs, stored, readBlob };
}

/** A snapshot of the target: the same field references and the same contents. */
function snapshot(target: Record<string, unknown>) {
  const refs = Object.fromEntries(Object.entries(target));
  const copy = structuredClone(target);
  return () => {
    for (const [key, value] of Object.entries(refs)) expect(target[key], key).toBe(value);
    expect(Object.keys(target)).toEqual(Object.keys(refs));
    expect(exactDiff(copy, structuredClone(target))).toBeUndefined();
  };
}

function editJson(stateJson: Uint8Array, edit: (json: Record<string, unknown>) => void): Uint8Array {
  const json = JSON.parse(new TextDecoder().decode(stateJson)) as Record<string, unknown>;
  edit(json);
  return new TextEncoder().encode(JSON.stringify(json));
}

describe("encodeState / restoreState", () => {
  it("restores every field exactly onto the live object and leaves other properties alone", () => {
    const saved = save(Demo, { ...demoValue(7), extra: "not in schema" });
    const target: Record<string, unknown> = { ...demoValue(1), untouched: true };
    restoreState(Demo, target, saved.stateJson, saved.readBlob);
    const { ...expected } = demoValue(7);
    for (const key of Object.keys(expected))
      expect(exactDiff(target[key], (expected as Record<string, unknown>)[key]), key).toBeUndefined();
    expect(target.untouched).toBe(true);
    expect(Object.hasOwn(target, "extra")).toBe(false);
  });

  it("writes state.json with id, hash, schema and fields, and one blob per array above 4 KiB, named by field", () => {
    const saved = save(Demo, largeDemoValue(3));
    const json = JSON.parse(new TextDecoder().decode(saved.stateJson));
    expect(json).toMatchObject({ format: 1, id: "demo.State", schemaHash: Demo.schemaHash });
    expect(Object.keys(json.fields)).toEqual(["seed", "counter", "buffers", "grid", "names", "note"]);
    expect(saved.blobs.map((b) => b.name)).toEqual(["buffers.0.npy", "grid.npy"]);
    expect(json.fields.buffers[1]).toMatchObject({ kind: "typedarray", jsType: "Float32Array", shape: [1] });
    expect(typeof json.fields.buffers[1].npy).toBe("string");
    const restored = demoValue(0) as unknown as Record<string, unknown>;
    restoreState(Demo, restored, saved.stateJson, saved.readBlob);
    expect(restored.buffers).toEqual(largeDemoValue(3).buffers);
    expect(restored.grid).toEqual(largeDemoValue(3).grid);
  });

  it("packs a state of small arrays into state.json: one object, no blobs, the same values back", () => {
    const saved = save(Demo, demoValue(3));
    expect(saved.blobs).toEqual([]);
    const json = JSON.parse(new TextDecoder().decode(saved.stateJson));
    expect(json.fields.grid).toMatchObject({
      kind: "ndarray",
      jsType: "Float64Array",
      dtype: "<f8",
      shape: [2, 3],
    });
    expect(Buffer.from(json.fields.grid.npy, "base64").subarray(1, 6).toString()).toBe("NUMPY");
    const restored = demoValue(0) as unknown as Record<string, unknown>;
    restoreState(Demo, restored, saved.stateJson, saved.readBlob);
    expect(restored.buffers).toEqual(demoValue(3).buffers);
    expect(restored.grid).toEqual(demoValue(3).grid);
    expect(new TextDecoder().decode(save(Demo, demoValue(3)).stateJson)).toBe(
      new TextDecoder().decode(saved.stateJson),
    );
  });

  it("refuses to save a live value the schema rejects, with zod's issue paths", () => {
    const bad = { ...demoValue(1), buffers: [new Float32Array(1), new Float64Array(1)] };
    let error: unknown;
    try {
      encodeState(Demo, bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CheckpointStateSchemaError);
    expect((error as CheckpointStateSchemaError).message).toMatch(
      /demo\.State: the live value does not match the schema: buffers\[1\]: Expected a Float32Array/,
    );
    expect((error as CheckpointStateSchemaError).issues[0]?.path).toEqual(["buffers", 1]);
  });

  const refusals: [
    string,
    (saved: ReturnType<typeof save>) => [typeof Demo, Uint8Array, (name: string) => Uint8Array],
    RegExp,
  ][] = [
    [
      "a different state id",
      (s) => [checkpointState("demo.Other", Demo.schema), s.stateJson, s.readBlob],
      /Checkpoint state demo\.Other: the saved state has id "demo\.State", not "demo\.Other"/,
    ],
    [
      "a different schema hash, listing the differences",
      (s) => [
        checkpointState(
          "demo.State",
          Demo.schema.omit({ note: true }).extend({ seed: z.string(), label: z.string() }),
        ) as unknown as typeof Demo,
        s.stateJson,
        s.readBlob,
      ],
      /schema hash sha256:\w+ differs from the current sha256:\w+: field note was removed \(saved as optional<string>\); field label was added \(string\); field seed changed from number to string/,
    ],
    [
      "a different field set under the same hash",
      (s) => [
        Demo,
        editJson(s.stateJson, (j) => delete (j.fields as Record<string, unknown>).seed),
        s.readBlob,
      ],
      /the saved fields differ from the schema's: missing seed/,
    ],
    [
      "an extra field under the same hash",
      (s) => [
        Demo,
        editJson(s.stateJson, (j) => Object.assign(j.fields as object, { bogus: 1 })),
        s.readBlob,
      ],
      /unexpected bogus/,
    ],
    [
      "values the schema rejects (the last field), with zod's paths",
      (s) => [
        Demo,
        editJson(s.stateJson, (j) => Object.assign(j.fields as object, { note: 42 })),
        s.readBlob,
      ],
      /the restored values do not match the schema: note: /,
    ],
    [
      "a newer state.json format",
      (s) => [Demo, editJson(s.stateJson, (j) => Object.assign(j, { format: 2 })), s.readBlob],
      /state\.json has format 2; this version of ckpt reads format 1/,
    ],
  ];

  for (const [what, setup, message] of refusals)
    it(`refuses ${what} and leaves the live object untouched`, () => {
      const saved = save(Demo, demoValue(9));
      const [type, stateJson, readBlob] = setup(saved);
      const target = demoValue(1) as unknown as Record<string, unknown>;
      const unchanged = snapshot(target);
      expect(() => restoreState(type, target, stateJson, readBlob)).toThrow(CheckpointStateSchemaError);
      expect(() => restoreState(type, target, stateJson, readBlob)).toThrow(message);
      unchanged();
    });

  it("reports zod issue paths on the error", () => {
    const saved = save(Demo, demoValue(9));
    const json = editJson(saved.stateJson, (j) => Object.assign(j.fields as object, { seed: "nine" }));
    try {
      restoreState(Demo, demoValue(1), json, saved.readBlob);
      expect.unreachable();
    } catch (error) {
      expect((error as CheckpointStateSchemaError).issues.map((i) => i.path)).toEqual([["seed"]]);
      expect((error as CheckpointStateSchemaError).stateId).toBe("demo.State");
      expect((error as CheckpointStateSchemaError).code).toBe("E_STATE_SCHEMA");
    }
  });

  it("leaves the live object untouched when a blob cannot be decoded (the last array)", () => {
    const saved = save(Demo, largeDemoValue(9));
    const grid = saved.stored.get("grid.npy")!;
    saved.stored.set("grid.npy", grid.subarray(0, grid.byteLength - 8));
    const target = demoValue(1) as unknown as Record<string, unknown>;
    const unchanged = snapshot(target);
    expect(() => restoreState(Demo, target, saved.stateJson, saved.readBlob)).toThrow(CheckpointDecodeError);
    unchanged();
  });

  it("leaves the live object untouched when one of its fields is read-only or it is frozen", () => {
    const saved = save(Demo, demoValue(9));
    const target = demoValue(1) as unknown as Record<string, unknown>;
    Object.defineProperty(target, "note", { value: undefined, writable: false, enumerable: true });
    const unchanged = snapshot(target);
    expect(() => restoreState(Demo, target, saved.stateJson, saved.readBlob)).toThrow(
      /field note of the live object cannot be assigned/,
    );
    unchanged();
    const frozen = Object.freeze(demoValue(1)) as unknown as Record<string, unknown>;
    expect(() => restoreState(Demo, frozen, saved.stateJson, saved.readBlob)).toThrow(
      CheckpointStateSchemaError,
    );
  });

  it("refuses values the codec cannot store, naming the field's path (cycles before zod recurses)", () => {
    type Node = { name: string; next: Node | null };
    const Node: z.ZodType<Node> = z.object({
      name: z.string(),
      get next() {
        return Node.nullable();
      },
    });
    const Chain = checkpointState("demo.Chain", z.object({ head: Node, extra: z.any() }));
    const head: Node = { name: "a", next: { name: "b", next: null } };
    head.next!.next = head;
    expect(() => encodeState(Chain, { head, extra: 1 })).toThrow(
      /state\.demo\.Chain\.head\.next\.next: a cycle: this is the same object as its ancestor state\.demo\.Chain\.head/,
    );
    expect(() => encodeState(Chain, { head: { name: "a", next: null }, extra: [() => 1] })).toThrow(
      /state\.demo\.Chain\.extra\[0\]: unsupported checkpoint value: a function/,
    );
  });

  it("refuses state.json that is not JSON", () => {
    expect(() =>
      restoreState(Demo, demoValue(1), new TextEncoder().encode("{oops"), () => new Uint8Array()),
    ).toThrow(/state\.demo\.State \(state\.json\): not valid JSON/);
    expect(() =>
      restoreState(Demo, demoValue(1), new Uint8Array([0xff, 0xfe]), () => new Uint8Array()),
    ).toThrow(/not valid UTF-8/);
  });
});
