/**
 * The state the crash and race tests commit: several typed arrays of about 1 MiB each, all filled
 * from the write count, so a restored row proves it is whole (every element of every array, and
 * the counter, equal the row's write count).
 */
import { Checkpoint, type CheckpointEntry, checkpointState, type Store, typedArray } from "@ckpt/core";
import { z } from "zod";

/** Elements per array: 1 MiB of float64, 1 MiB of float32, 1 MiB of int32, 0.5 MiB of uint16. */
export const SIZES = { a: 131_072, b: 262_144, c: 262_144, d: 262_144 } as const;

const fieldSchema = z.object({
  counter: z.number(),
  writer: z.string(),
  a: typedArray("float64"),
  b: typedArray("float32"),
  c: typedArray("int32"),
  d: typedArray("uint16"),
});

export const Field = checkpointState("reliability.Field", fieldSchema);

export type FieldValue = z.infer<typeof fieldSchema>;

function zeroField(writer: string, sizes: Record<"a" | "b" | "c" | "d", number>): FieldValue {
  return {
    counter: 0,
    writer,
    a: new Float64Array(sizes.a),
    b: new Float32Array(sizes.b),
    c: new Int32Array(sizes.c),
    d: new Uint16Array(sizes.d),
  };
}

/** A fresh value (all zeros). */
export function initialField(writer = ""): FieldValue {
  return zeroField(writer, SIZES);
}

/**
 * The same fields with 1,024 elements per array, for the race tests (800 commits): the check is
 * the same, the bytes per commit are small so the race is about the catalog, not the disk.
 */
export const SmallField = checkpointState("reliability.SmallField", fieldSchema);

const SMALL = 1024;

/** A fresh small value (all zeros). */
export function initialSmallField(writer = ""): FieldValue {
  return zeroField(writer, { a: SMALL, b: SMALL, c: SMALL, d: SMALL });
}

/** Sets every element from `n` (uint16 wraps, like the stored value will). */
export function fillField(value: FieldValue, n: number): void {
  value.counter = n;
  value.a.fill(n);
  value.b.fill(n);
  value.c.fill(n);
  value.d.fill(n);
}

/**
 * Why `value` is not the whole state of write `n`, or undefined when it is. `small`: the value is
 * a {@link SmallField} (1,024 elements per array).
 */
export function fieldProblem(value: FieldValue, n: number, small = false): string | undefined {
  if (value.counter !== n) return `counter ${value.counter}, expected ${n}`;
  for (const name of ["a", "b", "c", "d"] as const) {
    const array = value[name];
    const length = small ? SMALL : SIZES[name];
    if (array.length !== length) return `${name}: length ${array.length}, expected ${length}`;
    const expected = name === "d" ? n & 0xffff : n;
    for (let i = 0; i < array.length; i++)
      if (array[i] !== expected) return `${name}[${i}] = ${array[i]}, expected ${expected}`;
  }
  return undefined;
}

/** Commits rows 1..count of a {@link Field} to checkpoint `name` and returns its catalog. */
export async function commitFieldRows(
  store: Store,
  name: string,
  count: number,
  mode: "append" | "overwrite",
): Promise<readonly CheckpointEntry[]> {
  const writer = new Checkpoint(name, { store, mode, warn: () => {} });
  await writer.run(async (session) => {
    const field = session.bind(Field, initialField());
    for (let n = 1; n <= count; n++) {
      fillField(field.value, n);
      await session.write({ step: n });
    }
  });
  return writer.catalog();
}
