import { decodeMetadataValue } from "./codec/index.js";
import type { CatalogRow, JsonValue, Labels } from "./commit/catalog-format.js";

/** Decodes a row's stored metadata into a frozen record (own keys only, no prototype games). */
export function decodeMetadata(
  encoded: Readonly<Record<string, JsonValue>>,
): Readonly<Record<string, unknown>> {
  const decoded: Record<string, unknown> = {};
  for (const [key, description] of Object.entries(encoded))
    Object.defineProperty(decoded, key, {
      value: decodeMetadataValue(description, `metadata.${key}`),
      enumerable: true,
    });
  return Object.freeze(decoded);
}

/**
 * One committed row of a checkpoint's catalog, as `checkpoint.catalog()` lists it and `write` /
 * `flush` resolve to. `metadata` is decoded on first access and kept (never re-read from storage).
 */
export class CheckpointEntry {
  /** `commit_<writeCount, 8 digits>_<12 hex>`. */
  readonly commitId: string;
  readonly labels: Labels;
  /** Names of the metadata entries, as committed. */
  readonly metadataKeys: readonly string[];
  readonly writeCount: number;
  /** ISO 8601 UTC time of the commit. */
  readonly savedAt: string;
  readonly rank: number;
  readonly worldSize: number;
  /** Ids of the states saved in the commit (none at level 0). */
  readonly stateIds: readonly string[];
  /** The catalog row as stored (metadata encoded). */
  readonly row: CatalogRow;
  #metadata: Readonly<Record<string, unknown>> | undefined;

  constructor(row: CatalogRow) {
    this.row = row;
    this.commitId = row.commitId;
    this.labels = row.labels;
    this.metadataKeys = row.metadataKeys;
    this.writeCount = row.writeCount;
    this.savedAt = row.savedAt;
    this.rank = row.rank;
    this.worldSize = row.worldSize;
    this.stateIds = row.stateIds;
  }

  /** The row's metadata, decoded once. */
  get metadata(): Readonly<Record<string, unknown>> {
    this.#metadata ??= decodeMetadata(this.row.metadata);
    return this.#metadata;
  }

  /** `metadata.leadTime`, when present. */
  get leadTime(): unknown {
    return Object.hasOwn(this.metadata, "leadTime") ? this.metadata.leadTime : undefined;
  }

  /** Alias of `metadataKeys` (the original's `artifacts`). */
  get artifacts(): readonly string[] {
    return this.metadataKeys;
  }
}
