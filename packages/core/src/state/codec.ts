/**
 * Saving and restoring one bound state. `state.json` holds
 * `{ "format": 1, "id", "schemaHash", "schema", "fields": { name: description } }`; arrays are
 * blobs beside it (`<field>.npy`), small ones packed into their description. Restoring checks id, hash and field set, decodes every field and
 * validates the result with zod before the first field of the live object is assigned, so a failed
 * restore leaves the object as it was.
 */
import type { z } from "zod";
import { ValueDecoder } from "../codec/decode.js";
import { type EncodedBlob, ValueEncoder } from "../codec/encode.js";
import { type JsonValue, jsonBytes, parseJsonBytes, setOwn } from "../codec/json.js";
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
  return { id, schemaHash, schema: parsed.schema, fields };
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
 * naming the state and the difference, before anything is touched: the saved id, the schema hash
 * (the message lists added, removed and changed fields) and the field set. Then decodes every field
 * (`readBlob(name)` returns a blob's verified bytes), validates the whole with zod (failure: zod's
 * issue paths) and checks every field can be assigned; only then assigns zod's parsed values, field
 * by field. Fields of `target` outside the schema are left alone.
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
  if (saved.schemaHash !== type.schemaHash) {
    const difference = describeDifference(saved.schema, type.schemaDescription);
    throw new CheckpointStateSchemaError(
      type.id,
      `the saved schema hash ${saved.schemaHash} differs from the current ${type.schemaHash}${difference.length > 0 ? `: ${difference.join("; ")}` : ""}`,
    );
  }
  const names = fieldNames(type);
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
  const root = `state.${type.id}`;
  const decoder = new ValueDecoder(readBlob);
  const decoded: Record<string, unknown> = {};
  for (const name of names)
    Object.defineProperty(decoded, name, {
      value: decoder.decodeProperty(saved.fields[name]!, root, name),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  const checked = type.schema.safeParse(decoded);
  if (!checked.success) {
    const issues = issuesOf(checked.error);
    throw new CheckpointStateSchemaError(
      type.id,
      `the restored values do not match the schema: ${renderIssues(issues)}`,
      {
        issues,
        cause: checked.error,
      },
    );
  }
  const values = checked.data as Record<string, unknown>;
  assertWritable(type, target, names);
  for (const name of names) {
    const value = Object.hasOwn(values, name) ? values[name] : decoded[name];
    if (name === "__proto__")
      Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
    else (target as Record<string, unknown>)[name] = value;
  }
}
