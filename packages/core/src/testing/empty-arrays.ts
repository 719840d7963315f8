import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bindCheckpointState } from "../binding.js";
import { Checkpoint } from "../checkpoint.js";
import { DTYPES, type DtypeName, type TypedArray } from "../codec/dtypes.js";
import { ndArray, typedArray } from "../state/arrays.js";
import { checkpointState } from "../state/declare.js";
import type { Store } from "../store/types.js";

/** Options of {@link describeEmptyArrayRestore}. */
export interface EmptyArrayRestoreOptions {
  /** Shown in the suite's title. */
  readonly name: string;
  /** A fresh, empty store for one test. */
  readonly create: () => Promise<Store>;
  /** Called after each test with its store, before `close()`. */
  readonly destroy?: ((store: Store) => Promise<void>) | undefined;
}

const dtypeNames = DTYPES.map((dtype) => dtype.name as DtypeName);
const emptyShapes: readonly (readonly number[])[] = [[0], [4, 0], [0, 3]];

// One field per dtype (a 1-d typed array), and one n-d field per empty shape of float64 and int8.
const fields: Record<string, z.ZodType> = {};
for (const name of dtypeNames) fields[`flat_${name}`] = typedArray(name);
for (const shape of emptyShapes) {
  fields[`nd_float64_${shape.join("x")}`] = ndArray("float64");
  fields[`nd_int8_${shape.join("x")}`] = ndArray("int8");
}
fields.counter = z.number();
const EmptyArrays = checkpointState("ckpt.testing.EmptyArrays", z.object(fields));

function emptyOf(name: DtypeName): TypedArray {
  const info = DTYPES.find((dtype) => dtype.name === name);
  if (info === undefined) throw new TypeError(name);
  // A zero-length view over a non-empty buffer, and a zero-length buffer: both must round-trip.
  return info.view(new ArrayBuffer(0), 0, 0);
}

function initialValue(counter: number): Record<string, unknown> {
  const value: Record<string, unknown> = { counter };
  for (const name of dtypeNames) value[`flat_${name}`] = emptyOf(name);
  for (const shape of emptyShapes) {
    value[`nd_float64_${shape.join("x")}`] = { data: new Float64Array(0), shape: [...shape] };
    value[`nd_int8_${shape.join("x")}`] = {
      data: new Int8Array(new ArrayBuffer(16), 8, 0),
      shape: [...shape],
    };
  }
  return value;
}

/**
 * Declares (inside a vitest file) that a state of empty arrays (every dtype, and n-d arrays of
 * shapes `[0]`, `[4, 0]` and `[0, 3]`) commits, verifies and restores through `Checkpoint.run` on
 * the store `create()` makes.
 *
 * @example
 * describeEmptyArrayRestore({ name: "FsStore on disk", create: async () => new FsStore({ root }) });
 */
export function describeEmptyArrayRestore(options: EmptyArrayRestoreOptions): void {
  describe(`empty arrays restore: ${options.name}`, () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) {
        await options.destroy?.(store);
        await store.close?.();
      }
    });

    it("commits empty arrays of every dtype and shape, verifies the row and restores them", async () => {
      const store = await options.create();
      stores.push(store);
      const first = new Checkpoint("empty-arrays", { store, mode: "append", flushInterval: 1 });
      await first.run(async (session) => {
        const state = bindCheckpointState(EmptyArrays, initialValue(0) as z.infer<typeof EmptyArrays.schema>);
        state.value.counter = 7;
        await session.write({ step: 1 });
      });
      await first.close();

      const second = new Checkpoint("empty-arrays", { store, mode: "append" });
      const [row] = await second.catalog();
      expect(row).toBeDefined();
      if (row !== undefined) await expect(second.verify(row)).resolves.toBeUndefined();
      const restored = await second.run(async () => {
        const state = bindCheckpointState(EmptyArrays, initialValue(0) as z.infer<typeof EmptyArrays.schema>);
        return state.value as Record<string, unknown>;
      });
      await second.close();
      expect(restored.counter).toBe(7);
      for (const name of dtypeNames) {
        const array = restored[`flat_${name}`] as TypedArray;
        expect(array.constructor).toBe(emptyOf(name).constructor);
        expect(array.length).toBe(0);
      }
      for (const shape of emptyShapes)
        for (const dtype of ["float64", "int8"]) {
          const nd = restored[`nd_${dtype}_${shape.join("x")}`] as { data: TypedArray; shape: number[] };
          expect(nd.shape).toEqual(shape);
          expect(nd.data.length).toBe(0);
        }
    });
  });
}
