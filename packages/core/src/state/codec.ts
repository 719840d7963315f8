/**
 * Saving and restoring one bound state. `state.json` holds
 * `{ "format": 1, "id", "version", "schemaHash", "schema", "fields": { name: description } }`;
 * arrays are blobs beside it (`<field>.npy`), small ones packed into their description. Restoring
 * checks id, version, hash and field set, migrates an older version, decodes every field and
 * validates the result with zod before the first field of the live object is assigned, so a failed
 * restore leaves the object as it was.
 */
import type { z } from "zod";
import { ValueDecoder } from "../codec/decode.js";
import { type EncodedBlob, ValueEncoder } from "../codec/encode.js";
import { canonicalJson, type JsonValue, jsonBytes, parseJsonBytes, setOwn } from "../codec/json.js";
import {
  CheckpointDecodeError,
  CheckpointSerializationError,
  CheckpointStateSchemaError,
} from "../errors.js";
import type { CheckpointStateType } from "./declare.js";
import { describeDifference } from "./describe.js";

/** Format of `state.json`. */
export const STATE_FORMAT = 1;

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string };

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path)
    out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  return out || "(root)";
}

function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: [...issue.path], message: issue.message }));
}

function renderIssues(issues: readonly Issue[]): string {
  const shown = issues.slice(0, 10).map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
  if (issues.length > 10) shown.push(`… ${issues.length - 10} more`);
  return shown.join("; ");
}

function fieldNames(type: CheckpointStateType): string[] {
  return Object.keys(type.schema.shape);
}

/**
 * Encodes the live state object: a `state.json` body and its blobs. The value is also validated
 * with the schema (`CheckpointStateSchemaError` with zod's issue paths), so what is saved can be
 * restored. Only the schema's fields are saved. Blob chunks are views of the live typed arrays:
 * write them before the state changes again.
 */
export function encodeState(
  type: CheckpointStateType,
  value: object,
): { stateJson: Uint8Array; blobs: readonly EncodedBlob[] } {
  const root = `state.${type.id}`;
  if (typeof value !== "object" || value === null)
    throw new CheckpointSerializationError(root, "a state value must be an object");
  // Encode first: the codec refuses cycles cleanly, where zod would recurse without end.
  // Small arrays go into state.json itself: a state of small fields is one object to store.
  const encoder = new ValueEncoder({ pack: true });
  const fields: Record<string, JsonValue> = {};
  for (const field of fieldNames(type)) {
    const item = (value as Record<string, unknown>)[field];
    setOwn(fields, field, encoder.encodeProperty(item, root, field));
  }
  const checked = type.schema.safeParse(value);
  if (!checked.success) {
    const issues = issuesOf(checked.error);
    throw new CheckpointStateSchemaError(
      type.id,
      `the live value does not match the schema: ${renderIssues(issues)}`,
      {
        issues,
        cause: checked.error,
      },
    );
  }
  const stateJson = jsonBytes({
    format: STATE_FORMAT,
    id: type.id,
    version: type.version,
    schemaHash: type.schemaHash,
    schema: type.schemaDescription,
    fields,
  });
  return { stateJson, blobs: encoder.blobs };
}

function envelope(type: CheckpointStateType, stateJson: Uint8Array) {
  const where = `state.${type.id} (state.json)`;
  const parsed = parseJsonBytes(stateJson, where);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new CheckpointDecodeError(where, "state.json must hold a JSON object");
  if (parsed.format !== STATE_FORMAT)
    throw new CheckpointStateSchemaError(
      type.id,
      `state.json has format ${JSON.stringify(parsed.format)}; this version of ckpt reads format ${STATE_FORMAT}`,
    );
  const { id, schemaHash, fields } = parsed;
  if (typeof id !== "string" || typeof schemaHash !== "string")
    throw new CheckpointDecodeError(where, "state.json must name a string id and schemaHash");
  if (typeof fields !== "object" || fields === null || Array.isArray(fields))
    throw new CheckpointDecodeError(where, "state.json fields must be a JSON object");
  // A state.json written before states had versions has none: it is version 0.
  const version = parsed.version ?? 0;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0)
    throw new CheckpointDecodeError(where, "state.json version must be a non-negative integer");
  return { id, version, schemaHash, schema: parsed.schema, fields };
}

/**
 * The fields the current schema adds to the saved one when that is the only difference and each
 * added field may be absent (its zod schema accepts `undefined`: `optional()`, `default()`,
 * `nullish()`, ...), at the top level; otherwise `undefined`.
 */
function addedOptionalFields(type: CheckpointStateType, saved: JsonValue | undefined): string[] | undefined {
  const current = type.schemaDescription;
  type ObjectDescription = { [key: string]: JsonValue } & { fields: { [key: string]: JsonValue } };
  const asObject = (d: JsonValue | undefined): ObjectDescription | undefined =>
    typeof d === "object" &&
    d !== null &&
    !Array.isArray(d) &&
    d.type === "object" &&
    typeof d.fields === "object" &&
    d.fields !== null &&
    !Array.isArray(d.fields)
      ? (d as ObjectDescription)
      : undefined;
  const before = asObject(saved);
  const after = asObject(current);
  if (before === undefined || after === undefined) return undefined;
  if (canonicalJson({ ...before, fields: null }) !== canonicalJson({ ...after, fields: null }))
    return undefined;
  const added: string[] = [];
  for (const key of Object.keys(before.fields))
    if (
      !Object.hasOwn(after.fields, key) ||
      canonicalJson(before.fields[key]!) !== canonicalJson(after.fields[key]!)
    )
      return undefined;
  for (const key of Object.keys(after.fields)) {
    if (Object.hasOwn(before.fields, key)) continue;
    const field = type.schema.shape[key] as z.ZodType | undefined;
    if (field === undefined || !field.safeParse(undefined).success) return undefined;
    added.push(key);
  }
  return added;
}

/** Every saved field, decoded without the schema (descriptions say what each value is). */
function decodeFields(
  fields: Readonly<Record<string, JsonValue>>,
  root: string,
  readBlob: (name: string) => Uint8Array,
): Record<string, unknown> {
  const decoder = new ValueDecoder(readBlob);
  const decoded: Record<string, unknown> = {};
  for (const name of Object.keys(fields))
    Object.defineProperty(decoded, name, {
      value: decoder.decodeProperty(fields[name]!, root, name),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  return decoded;
}

/** How to declare the way forward, for a refusal message. */
function wayForward(type: CheckpointStateType, savedVersion: number): string {
  return type.version > savedVersion
    ? `The saved state has version ${savedVersion} and this declaration version ${type.version} without migrate: add migrate to checkpointState(${JSON.stringify(type.id)}, schema, { version: ${type.version}, migrate: (saved, fromVersion) => ({ ...saved /* the current fields */ }) })`
    : `To restore it, declare a version and a migration: checkpointState(${JSON.stringify(type.id)}, schema, { version: ${savedVersion + 1}, migrate: (saved, fromVersion) => ({ ...saved /* the current fields */ }) }) (the saved state has version ${savedVersion}; adding optional fields needs no migration)`;
}

/** Own data properties of `target` that cannot be written, or a non-extensible target missing one. */
function assertWritable(type: CheckpointStateType, target: object, names: readonly string[]): void {
  for (const name of names) {
    const own = Object.getOwnPropertyDescriptor(target, name);
    const writable =
      own === undefined
        ? Object.isExtensible(target)
        : "value" in own
          ? own.writable === true
          : own.set !== undefined;
    if (!writable)
      throw new CheckpointStateSchemaError(
        type.id,
        `field ${name} of the live object cannot be assigned (read-only, or the object is frozen); nothing was restored`,
      );
  }
}

/**
 * Restores a saved state onto the live object `target`. Checks, each a `CheckpointStateSchemaError`
 * naming the state and the difference, before anything is touched: the saved id and version (a
 * newer one is refused). A state saved with an older version is passed to the type's `migrate` when
 * it declares one. Otherwise the schema hash must match (with the same field set), or differ only by
 * top-level fields the schema added that may be absent (optional, defaulted), which keep the live object's values; any
 * other difference is refused with the added, removed and changed fields and how to declare a
 * migration. Then every field is decoded (`readBlob(name)` returns a blob's verified bytes), the
 * whole validated with zod (failure: zod's issue paths) and every field checked assignable; only then
 * are zod's parsed values assigned, field by field. Fields of `target` outside the schema are left alone.
 */
export function restoreState(
  type: CheckpointStateType,
  target: object,
  stateJson: Uint8Array,
  readBlob: (name: string) => Uint8Array,
): void {
  const saved = envelope(type, stateJson);
  if (saved.id !== type.id)
    throw new CheckpointStateSchemaError(
      type.id,
      `the saved state has id ${JSON.stringify(saved.id)}, not ${JSON.stringify(type.id)}`,
    );
  if (saved.version > type.version)
    throw new CheckpointStateSchemaError(
      type.id,
      `the saved state has version ${saved.version}, newer than this declaration's version ${type.version}: it was saved by newer code, which this code cannot restore`,
    );
  const names = fieldNames(type);
  const root = `state.${type.id}`;
  // Schema fields the restored value does not hold keep the live object's value.
  let kept: readonly string[] = [];
  let restored: Record<string, unknown>;
  let what = "the restored values";
  if (saved.version < type.version && type.migrate !== undefined) {
    const from = saved.version;
    let migrated: unknown;
    try {
      migrated = type.migrate(decodeFields(saved.fields, root, readBlob), from);
    } catch (cause) {
      if (cause instanceof CheckpointDecodeError) throw cause;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new CheckpointStateSchemaError(type.id, `migrate(saved, ${from}) threw: ${reason}`, { cause });
    }
    if (typeof migrated !== "object" || migrated === null || Array.isArray(migrated))
      throw new CheckpointStateSchemaError(
        type.id,
        `migrate(saved, ${from}) must return an object with the current schema's fields`,
      );
    restored = migrated as Record<string, unknown>;
    what = `the value migrate(saved, ${from}) returned`;
  } else if (saved.schemaHash === type.schemaHash) {
    const savedNames = Object.keys(saved.fields);
    const missing = names.filter((name) => !Object.hasOwn(saved.fields, name));
    const extra = savedNames.filter((name) => !names.includes(name));
    if (missing.length > 0 || extra.length > 0)
      throw new CheckpointStateSchemaError(
        type.id,
        `the saved fields differ from the schema's:${missing.length > 0 ? ` missing ${missing.join(", ")};` : ""}${extra.length > 0 ? ` unexpected ${extra.join(", ")};` : ""}`.replace(
          /;$/,
          "",
        ),
      );
    restored = decodeFields(saved.fields, root, readBlob);
  } else {
    const added = addedOptionalFields(type, saved.schema);
    const savedNames = Object.keys(saved.fields);
    if (
      added === undefined ||
      savedNames.some((name) => !names.includes(name) || added.includes(name)) ||
      names.some((name) => !savedNames.includes(name) && !added.includes(name))
    ) {
      const difference = describeDifference(saved.schema, type.schemaDescription);
      throw new CheckpointStateSchemaError(
        type.id,
        `the saved schema hash ${saved.schemaHash} differs from the current ${type.schemaHash}${difference.length > 0 ? `: ${difference.join("; ")}` : ""}. ${wayForward(type, saved.version)}`,
      );
    }
    kept = added;
    restored = decodeFields(saved.fields, root, readBlob);
  }
  const candidate: Record<string, unknown> = {};
  for (const name of names) {
    const source = kept.includes(name) ? (target as Record<string, unknown>) : restored;
    if (Object.hasOwn(source, name))
      Object.defineProperty(candidate, name, {
        value: source[name],
        writable: true,
        enumerable: true,
        configurable: true,
      });
  }
  const checked = type.schema.safeParse(candidate);
  if (!checked.success) {
    const issues = issuesOf(checked.error);
    throw new CheckpointStateSchemaError(
      type.id,
      `${what} do not match the schema: ${renderIssues(issues)}`,
      {
        issues,
        cause: checked.error,
      },
    );
  }
  const values = checked.data as Record<string, unknown>;
  const assigned = names.filter((name) => !kept.includes(name));
  assertWritable(type, target, assigned);
  for (const name of assigned) {
    const value = Object.hasOwn(values, name) ? values[name] : candidate[name];
    if (name === "__proto__")
      Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
    else (target as Record<string, unknown>)[name] = value;
  }
}
