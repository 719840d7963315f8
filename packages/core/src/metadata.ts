import { encodeMetadataValue } from "./codec/index.js";
import type { JsonValue } from "./commit/catalog-format.js";
import { CheckpointMetadataError } from "./errors.js";

/** Metadata passed to `write` / `flush`: string keys, values the metadata codec takes. */
export type MetadataInput = Readonly<Record<string, unknown>>;

/**
 * Validates and encodes metadata before anything changes: keys must be strings (symbol keys are
 * refused), values go through the metadata codec (which turns one-element typed arrays into
 * scalars, as earth2studio's `write` does). `undefined` values are left out, as an absent
 * optional property would be. Any failure is a `CheckpointMetadataError` naming the key.
 */
export function encodeMetadata(metadata: unknown): Map<string, JsonValue> {
  const encoded = new Map<string, JsonValue>();
  if (metadata === undefined) return encoded;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata) || metadata instanceof Map)
    throw new CheckpointMetadataError(
      String(metadata),
      "Invalid checkpoint metadata: pass an object of named values, e.g. write({ leadTime: 6 }).",
    );
  for (const symbol of Object.getOwnPropertySymbols(metadata))
    throw new CheckpointMetadataError(
      String(symbol),
      `Invalid checkpoint metadata ${String(symbol)}; metadata keys must be strings.`,
    );
  for (const [key, raw] of Object.entries(metadata)) {
    if (raw === undefined) continue;
    try {
      encoded.set(key, encodeMetadataValue(raw, `metadata.${key}`));
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new CheckpointMetadataError(key, `Invalid checkpoint metadata '${key}': ${reason}`, { cause });
    }
  }
  return encoded;
}

/** A plain record from encoded metadata, safe for keys such as `__proto__`. */
export function metadataRecord(encoded: ReadonlyMap<string, JsonValue>): Record<string, JsonValue> {
  return Object.fromEntries(encoded);
}
