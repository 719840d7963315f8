import {
  CheckpointSerializationError,
  CheckpointStateSchemaError,
  checkpointState,
  encodeState,
  ndArray,
  restoreState,
  typedArray,
} from "@ckpt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { blobBytes, exactDiff } from "./helpers/codec.js";

const Sim = checkpointState(
  "demo.Sim",
  z.object({
    step: z.number(),
    seed: z.bigint(),
    started: z.date(),
    rng: typedArray("uint32"),
    field: ndArray("float32", { ndim: 2 }),
    history: z.array(z.object({ t: z.number(), label: z.string() })),
    names: z.map(z.string(), z.number()),
    note: z.string().optional(),
  }),
);
type SimValue = z.infer<typeof Sim.schema>;

const simValue: fc.Arbitrary<SimValue> = fc.record({
  // zod 4's z.number() refuses NaN and ±Infinity (the codec stores them; the schema decides).
  step: fc.double({ noNaN: true, noDefaultInfinity: true }),
  seed: fc.bigInt(),
  started: fc.date({ noInvalidDate: true }),
  rng: fc.uint32Array({ maxLength: 8 }),
  field: fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    .chain(([r, c]) =>
      fc.float32Array({ minLength: r * c, maxLength: r * c }).map((data) => ({ data, shape: [r, c] })),
    ),
  history: fc.array(
    fc.record({
      t: fc.double({ noNaN: true, noDefaultInfinity: true }),
      label: fc.string({ unit: "binary" }),
    }),
    { maxLength: 4 },
  ),
  names: fc
    .uniqueArray(fc.tuple(fc.string(), fc.integer()), { selector: ([k]) => k, maxLength: 4 })
    .map((e) => new Map(e)),
  note: fc.option(fc.string(), { nil: undefined }),
});

function save(value: SimValue) {
  const { stateJson, blobs } = encodeState(Sim, value);
  const stored = new Map(blobs.map((blob) => [blob.name, blobBytes(blob)]));
  return { stateJson, readBlob: (name: string) => stored.get(name) ?? new Uint8Array(0) };
}

describe("state round trips and failed restores (property)", () => {
  it("restores every generated state exactly", () => {
    fc.assert(
      fc.property(simValue, simValue, (saved, live) => {
        const { stateJson, readBlob } = save(saved);
        const target = { ...live };
        restoreState(Sim, target, stateJson, readBlob);
        for (const key of Object.keys(saved) as (keyof SimValue)[]) {
          const diff = exactDiff(target[key], saved[key], key);
          if (diff !== undefined) throw new Error(diff);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("a restore that fails leaves the live object untouched, whatever the damage to state.json", () => {
    const damage = fc.record({
      field: fc.constantFrom("step", "seed", "started", "rng", "field", "history", "names", "note"),
      replacement: fc.oneof(
        fc.jsonValue(),
        fc.constantFrom(
          { kind: "bigint", value: "1" },
          { kind: "number", value: "NaN" },
          { kind: "undefined" },
          { kind: "date", value: "2020-01-01T00:00:00.000Z" },
          { kind: "typedarray", jsType: "Uint32Array", dtype: "<u4", shape: [1], blob: "rng.npy" },
        ),
      ),
    });
    let failures = 0;
    fc.assert(
      fc.property(simValue, simValue, damage, (saved, live, { field, replacement }) => {
        const { stateJson, readBlob } = save(saved);
        const json = JSON.parse(new TextDecoder().decode(stateJson));
        json.fields[field] = replacement;
        const damaged = new TextEncoder().encode(JSON.stringify(json));
        const target: Record<string, unknown> = { ...live };
        const before = { ...target };
        try {
          restoreState(Sim, target, damaged, readBlob);
        } catch (error) {
          if (!(error instanceof CheckpointStateSchemaError || error instanceof CheckpointSerializationError))
            throw error;
          failures++;
          for (const key of Object.keys(before)) expect(target[key]).toBe(before[key]);
          return;
        }
        // Accepted: then what was restored passes the schema.
        expect(Sim.schema.safeParse(target).success).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(failures).toBeGreaterThan(500);
  });
});
