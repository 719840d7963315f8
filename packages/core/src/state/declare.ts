/** Declaring component state: a stable id, a zod object schema and the schema's hash. */
import type { z } from "zod";
import { canonicalHash, type JsonValue } from "../codec/json.js";
import { CheckpointStateSchemaError } from "../errors.js";
import { describeSchema, UnsupportedSchemaError } from "./describe.js";

/** A declared state type: what `bindCheckpointState` binds and the checkpoint saves. */
export interface CheckpointStateType<S extends z.ZodObject = z.ZodObject> {
  /** The stable identity of the state in checkpoints (not a class name). */
  readonly id: string;
  readonly schema: S;
  /** `"sha256:<hex>"` of the canonical schema description; stable across processes and key order. */
  readonly schemaHash: string;
  /** The canonical description the hash is computed over (saved beside the state for messages). */
  readonly schemaDescription: JsonValue;
}

/** Ids are folder names in a commit (`states/<id>/`): short, ASCII, no `/`. */
const STATE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Version of the canonical description; bumping it changes every hash. */
const DESCRIPTION_VERSION = 1;

/**
 * The schema hash of a zod schema: `"sha256:<hex>"` over the canonical JSON of its description
 * (field names, types, typed-array dtypes, optionality, nesting). The same in every process and Node
 * version and for any key order; different when a field's name or type changes.
 */
export function schemaHash(schema: z.ZodType): string {
  return canonicalHash({ ckptSchema: DESCRIPTION_VERSION, schema: describeSchema(schema) });
}

/**
 * Declares a state type. `id` is its identity in checkpoints (e.g. `"demo.RngState"`): letters,
 * digits, `_`, `.` and `-`, at most 128 characters. Field types the codec cannot store (symbol,
 * function, promise, file, Set) are refused here with `CheckpointStateSchemaError`.
 *
 * @example
 * const RngState = checkpointState("demo.RngState", z.object({ seed: z.number(), state: typedArray("uint32") }));
 */
export function checkpointState<S extends z.ZodObject>(id: string, schema: S): CheckpointStateType<S> {
  if (typeof id !== "string" || !STATE_ID.test(id))
    throw new CheckpointStateSchemaError(
      String(id),
      "a state id must be 1-128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'",
    );
  const def = (schema as { _zod?: { def?: { type?: unknown } } } | null)?._zod?.def;
  if (def?.type !== "object" || typeof (schema as { safeParse?: unknown }).safeParse !== "function")
    throw new CheckpointStateSchemaError(id, "the schema of a checkpoint state must be a z.object(...)");
  let schemaDescription: JsonValue;
  try {
    schemaDescription = describeSchema(schema, "");
  } catch (error) {
    if (error instanceof UnsupportedSchemaError)
      throw new CheckpointStateSchemaError(
        id,
        `field ${error.path.replace(/^\./, "")} has a type the codec cannot store (${error.zodType})`,
      );
    throw error;
  }
  return Object.freeze({
    id,
    schema,
    schemaHash: canonicalHash({ ckptSchema: DESCRIPTION_VERSION, schema: schemaDescription }),
    schemaDescription,
  });
}
