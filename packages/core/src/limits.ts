/**
 * Size limits on what goes into `catalog.json`. Every commit rewrites the whole catalog, so labels
 * and metadata are for small values; anything larger belongs in a bound state, which is stored
 * beside its row and never rewritten.
 */
import { type JsonValue, jsonText } from "./codec/json.js";
import { CheckpointLimitError } from "./errors.js";

/** The documented limits on a row's labels and metadata (checked before anything is written). */
export const CHECKPOINT_LIMITS: Readonly<{
  /** Labels per row. */
  labelCount: number;
  /** Bytes of one label as stored: its key and value as JSON. */
  labelBytes: number;
  /** Bytes of one row's metadata as stored: every key and encoded value as JSON. */
  metadataBytes: number;
}> = Object.freeze({ labelCount: 32, labelBytes: 1024, metadataBytes: 64 * 1024 });

const STATE_ADVICE =
  "catalog.json holds it in every row and is rewritten by every commit: bind the value as state instead " +
  "(declare it with checkpointState(id, schema) and bind it with bindCheckpointState inside run(), or session.bind), " +
  "which stores it beside the row";

const utf8 = new TextEncoder();
const entryBytes = (key: string, value: JsonValue): number =>
  utf8.encode(jsonText({ [key]: value })).byteLength - 2;

/** Refuses labels over the documented count or size, naming the label and the limit. */
export function checkLabelLimits(checkpoint: string, labels: Readonly<Record<string, JsonValue>>): void {
  const keys = Object.keys(labels);
  if (keys.length > CHECKPOINT_LIMITS.labelCount)
    throw new CheckpointLimitError(
      "labels",
      CHECKPOINT_LIMITS.labelCount,
      keys.length,
      `Checkpoint "${checkpoint}": ${keys.length} labels exceed the limit of ${CHECKPOINT_LIMITS.labelCount} labels per row; labels select rows, and ${STATE_ADVICE}.`,
    );
  for (const key of keys) {
    const size = entryBytes(key, labels[key]!);
    if (size > CHECKPOINT_LIMITS.labelBytes)
      throw new CheckpointLimitError(
        `labels.${key}`,
        CHECKPOINT_LIMITS.labelBytes,
        size,
        `Checkpoint "${checkpoint}": label '${key}' takes ${size} bytes, over the limit of ${CHECKPOINT_LIMITS.labelBytes} bytes per label; ${STATE_ADVICE}.`,
      );
  }
}

/** Refuses a row's metadata over the documented size, naming its largest field and the limit. */
export function checkMetadataLimits(checkpoint: string, metadata: ReadonlyMap<string, JsonValue>): void {
  let total = 2;
  let largest: { key: string; size: number } | undefined;
  for (const [key, value] of metadata) {
    const size = entryBytes(key, value);
    total += size + 1;
    if (largest === undefined || size > largest.size) largest = { key, size };
  }
  if (total <= CHECKPOINT_LIMITS.metadataBytes || largest === undefined) return;
  throw new CheckpointLimitError(
    `metadata.${largest.key}`,
    CHECKPOINT_LIMITS.metadataBytes,
    total,
    `Checkpoint "${checkpoint}": the row's metadata takes ${total} bytes, over the limit of ${CHECKPOINT_LIMITS.metadataBytes} bytes per row; its largest field is '${largest.key}' (${largest.size} bytes): ${STATE_ADVICE}.`,
  );
}
