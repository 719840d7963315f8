/** Declaring component state: a stable id, a zod object schema and the schema's hash. */
import type { z } from "zod";
import { canonicalHash, type JsonValue } from "../codec/json.js";
import { CheckpointStateSchemaError } from "../errors.js";
import { describeSchema, UnsupportedSchemaError } from "./describe.js";

/**
 * Turns a state saved by an older version of its declaration into the value for the current schema:
 * `saved` holds the saved fields, decoded (typed arrays, bigint, Map, Date as they were saved), and
 * `fromVersion` the version they were saved with (0 for a state saved without one).
 */
export type StateMigration<S extends z.ZodObject = z.ZodObject> = (
  saved: Record<string, unknown>,
  fromVersion: number,
) => z.input<S>;

/** Options of `checkpointState(id, schema, options)`: how the state evolves. */
export interface CheckpointStateOptions<S extends z.ZodObject = z.ZodObject> {
  /** The version of this declaration, a non-negative integer; default 0. Saved in `state.json`. */
  readonly version?: number | undefined;
  /** Called when a state saved with an older version is restored; returns the current value. */
  readonly migrate?: StateMigration<S> | undefined;
}

/** A declared state type: what `bindCheckpointState` binds and the checkpoint saves. */
export interface CheckpointStateType<S extends z.ZodObject = z.ZodObject> {
  /** The stable identity of the state in checkpoints (not a class name). */
  readonly id: string;
  readonly schema: S;
  /** The declaration's version (default 0), saved with the state. */
  readonly version: number;
  /** Turns a state saved with an older version into the current value, when declared. */
  readonly migrate: StateMigration<S> | undefined;
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

/** Whether `schema` is a zod 3 schema: zod 3 keeps its definition in `_def` and has no `_zod`. */
function isZod3Schema(schema: unknown): boolean {
  return (
    typeof schema === "object" &&
    schema !== null &&
    !("_zod" in schema) &&
    typeof (schema as { _def?: unknown })._def === "object" &&
    typeof (schema as { safeParse?: unknown }).safeParse === "function"
  );
}

/**
 * Declares a state type. `id` is its identity in checkpoints (e.g. `"demo.RngState"`): letters,
 * digits, `_`, `.` and `-`, at most 128 characters. `schema` is a zod 4 `z.object(...)`; a zod 3
 * schema is refused with "zod 4 is needed". Field types the codec cannot store (symbol, function,
 * promise, file, Set) are refused here with `CheckpointStateSchemaError`.
 *
 * A state evolves with `options.version` and `options.migrate` (zustand `persist`'s shape): a state
 * saved with an older version is restored through `migrate(saved, fromVersion)`. Adding optional
 * fields needs neither (see the README).
 *
 * @example
 * const RngState = checkpointState("demo.RngState", z.object({ seed: z.number(), state: typedArray("uint32") }));
 * const Trainer = checkpointState("demo.Trainer", z.object({ step: z.number(), lr: z.number() }), {
 *   version: 1,
 *   migrate: (saved, fromVersion) => ({ step: Number(saved.step), lr: 0.001 }), // version 0 had no lr
 * });
 */
export function checkpointState<S extends z.ZodObject>(
  id: string,
  schema: S,
  options: CheckpointStateOptions<S> = {},
): CheckpointStateType<S> {
  if (typeof id !== "string" || !STATE_ID.test(id))
    throw new CheckpointStateSchemaError(
      String(id),
      "a state id must be 1-128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'",
    );
  if (isZod3Schema(schema))
    throw new CheckpointStateSchemaError(
      id,
      'zod 4 is needed: this schema was made with zod 3. Install zod 4 (npm install zod@^4) and build the schema with its z.object(...) (import { z } from "zod"; with zod 3.25 installed, import { z } from "zod/v4")',
    );
  const def = (schema as { _zod?: { def?: { type?: unknown } } } | null)?._zod?.def;
  if (def?.type !== "object" || typeof (schema as { safeParse?: unknown }).safeParse !== "function")
    throw new CheckpointStateSchemaError(id, "the schema of a checkpoint state must be a z.object(...)");
  const version = options.version ?? 0;
  if (!Number.isSafeInteger(version) || version < 0)
    throw new CheckpointStateSchemaError(
      id,
      `version must be a non-negative integer, got ${String(options.version)}`,
    );
  if (options.migrate !== undefined && typeof options.migrate !== "function")
    throw new CheckpointStateSchemaError(id, "migrate must be a function (saved, fromVersion) => value");
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
    version,
    migrate: options.migrate,
    schemaHash: canonicalHash({ ckptSchema: DESCRIPTION_VERSION, schema: schemaDescription }),
    schemaDescription,
  });
}
