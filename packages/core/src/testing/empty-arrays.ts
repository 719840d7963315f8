import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bindCheckpointState } from "../binding.js";
import { Checkpoint } from "../checkpoint.js";
import { DTYPES, type DtypeName, type TypedArray } from "../codec/dtypes.js";
import { ndArray, typedArray } from "../state/arrays.js";
import { checkpointState } from "../state/declare.js";
import { listAllArray } from "../store/index.js";
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

// Two groups of empty arrays: one field per dtype (1-d) and n-d fields of float64 and int8 per
// empty shape. The first group is packed into state.json; the filler then uses up what a state may
// pack, so the second group goes out as .npy objects of their own.
const GROUPS = ["packed", "blob"] as const;
const FILLER = { count: 16, bytes: 4096 };
const fields: Record<string, z.ZodType> = {};
const addGroup = (group: string) => {
  for (const name of dtypeNames) fields[`${group}_${name}`] = typedArray(name);
  for (const shape of emptyShapes) {
    fields[`${group}_nd_float64_${shape.join("x")}`] = ndArray("float64");
    fields[`${group}_nd_int8_${shape.join("x")}`] = ndArray("int8");
  }
};
addGroup(GROUPS[0]);
fields.filler = z.array(typedArray("uint8"));
addGroup(GROUPS[1]);
fields.counter = z.number();
const EmptyArrays = checkpointState("ckpt.testing.EmptyArrays", z.object(fields));

/** A zero-length array over a zero-length buffer (the case zlib.crc32 got wrong). */
function emptyOf(name: DtypeName): TypedArray {
  const info = DTYPES.find((dtype) => dtype.name === name);
  if (info === undefined) throw new TypeError(name);
  return info.view(new ArrayBuffer(0), 0, 0);
}

function initialValue(counter: number): Record<string, unknown> {
  const value: Record<string, unknown> = { counter };
  value.filler = Array.from({ length: FILLER.count }, (_, i) => new Uint8Array(FILLER.bytes).fill(i));
  for (const group of GROUPS) {
    for (const name of dtypeNames) value[`${group}_${name}`] = emptyOf(name);
    for (const shape of emptyShapes) {
      value[`${group}_nd_float64_${shape.join("x")}`] = { data: new Float64Array(0), shape: [...shape] };
      // A zero-length view over a non-empty buffer.
      value[`${group}_nd_int8_${shape.join("x")}`] = {
        data: new Int8Array(new ArrayBuffer(16), 8, 0),
        shape: [...shape],
      };
    }
  }
  return value;
}

/**
 * Declares (inside a vitest file) that a state of empty arrays (every dtype, and n-d arrays of
 * shapes `[0]`, `[4, 0]` and `[0, 3]`), packed into `state.json` and as `.npy` objects of their
 * own, commits, verifies and restores through `Checkpoint.run` on the store `create()` makes.
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
      const objects = (await listAllArray(store, "empty-arrays/commits/")).map((info) => info.key);
      expect(objects.filter((key) => /\/blob_[a-z0-9_x]+\.npy$/.test(key))).toHaveLength(
        dtypeNames.length + 2 * emptyShapes.length,
      );
      expect(objects.some((key) => key.includes("/packed_"))).toBe(false);

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
      expect((restored.filler as Uint8Array[]).map((filler) => filler[0])).toEqual(
        Array.from({ length: FILLER.count }, (_, i) => i),
      );
      for (const group of GROUPS) {
        for (const name of dtypeNames) {
          const array = restored[`${group}_${name}`] as TypedArray;
          expect(array.constructor).toBe(emptyOf(name).constructor);
          expect(array.length).toBe(0);
        }
        for (const shape of emptyShapes)
          for (const dtype of ["float64", "int8"]) {
            const nd = restored[`${group}_nd_${dtype}_${shape.join("x")}`] as {
              data: TypedArray;
              shape: number[];
            };
            expect(nd.shape).toEqual(shape);
            expect(nd.data.length).toBe(0);
          }
      }
    });
  });
}
