import { z } from "zod";
import type { JsonValue } from "../codec/json.js";

/**
 * The two JSON documents of the commit protocol, `catalog.json` and `manifest.json`, as zod
 * schemas with the TypeScript types derived from them. Both carry `format` and `version` so a
 * reader can tell a newer document (refused, never overwritten) from a damaged one (rebuilt).
 */

/** Any JSON value, as stored in metadata (the codec's type). */
export type { JsonValue };

/** A row's labels: flat values only, compared by value. */
export type Labels = Readonly<Record<string, string | number | boolean | null>>;

/** Version of catalog.json; a reader refuses a larger one. */
export const FORMAT_VERSION = 1;
/**
 * Highest manifest version this ckpt reads. A manifest that reuses an object stored by an earlier
 * commit (an entry with `location`) is written as version 2, so an older ckpt refuses it as newer
 * instead of looking for the object in the wrong folder; every other manifest stays version 1.
 */
export const MANIFEST_VERSION = 2;
/** `format` of catalog.json. */
export const CATALOG_FORMAT = "ckpt.catalog";
/** `format` of manifest.json. */
export const MANIFEST_FORMAT = "ckpt.manifest";

/** Largest catalog.json a reader accepts before refusing it as damaged. */
export const MAX_CATALOG_BYTES = 64 * 1024 * 1024;
/** Largest manifest.json a reader accepts. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** How many recent update ids catalog.json keeps, to resolve writes whose outcome was unknown. */
export const UPDATE_LOG_SIZE = 32;

/** How many gc fences catalog.json keeps. */
export const GC_FENCE_LOG = 16;
/** Commit folders one fence names at most; a gc deleting from more records `null` (every commit). */
export const MAX_FENCED_COMMITS = 256;

/**
 * What a gc records, by compare-and-swap, before it deletes: the catalog sequence number of that
 * write, and the commit folders it then deletes from (`null`: too many to name, read as every
 * folder). A commit in flight whose folder a newer fence names uploads again (DESIGN §4).
 */
export interface GcFence {
  readonly seq: number;
  readonly commits: readonly string[] | null;
}

const json = z.json() as z.ZodType<JsonValue>;
const labelsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const isoDate = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO date");
const commitIdSchema = z.string().regex(/^commit_\d{8,}_[0-9a-f]{12}$/, "must be commit_<8 digits>_<12 hex>");
const count = z.number().int().nonnegative();

/** One committed row of the catalog. */
export const catalogRowSchema = z.object({
  commitId: commitIdSchema,
  labels: labelsSchema,
  metadata: z.record(z.string(), json),
  metadataKeys: z.array(z.string()),
  writeCount: count,
  savedAt: isoDate,
  rank: count,
  worldSize: z.number().int().positive(),
  stateIds: z.array(z.string()),
});

/** A committed row, as {@link CatalogClient.rows} returns it. */
export interface CatalogRow {
  readonly commitId: string;
  readonly labels: Labels;
  /** Metadata as encoded by the codec (`encodeMetadataValue`). */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  readonly metadataKeys: readonly string[];
  readonly writeCount: number;
  /** ISO 8601 UTC time of the commit. */
  readonly savedAt: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly stateIds: readonly string[];
}

const modeSchema = z.enum(["overwrite", "append"]);
const historySizeSchema = z.number().int().positive().nullable();

/** How a checkpoint keeps rows: one per labels, or the last `historySize` per labels (null: all). */
export interface RowPolicy {
  readonly mode: "overwrite" | "append";
  /** Rows kept per labels in append mode (null: every row); overwrite mode keeps one whatever it says. */
  readonly historySize: number | null;
}

/** catalog.json: the one mutable object of a checkpoint, replaced only by compare-and-swap. */
export const catalogFileSchema = z.object({
  format: z.literal(CATALOG_FORMAT),
  version: z.literal(FORMAT_VERSION),
  checkpoint: z.string(),
  /** The mode of the checkpoint's last writer; absent in catalogs written before it was recorded. */
  mode: modeSchema.optional(),
  /** The history size of the checkpoint's last writer; absent in older catalogs. */
  historySize: historySizeSchema.optional(),
  /** Incremented by every update; pairs with `updates` to locate an update in the log. */
  seq: count,
  /** The fences of the last gc runs, newest first (absent: none); see {@link GcFence}. */
  gcFences: z
    .array(z.object({ seq: count, commits: z.array(commitIdSchema).nullable() }))
    .max(GC_FENCE_LOG * 4)
    .optional(),
  /** Ids of the most recent updates, newest first (`updates[i]` wrote sequence `seq - i`). */
  updates: z.array(z.string()).max(UPDATE_LOG_SIZE * 4),
  rows: z.array(catalogRowSchema),
});

/** The parsed catalog.json. */
export interface CatalogFile {
  readonly format: typeof CATALOG_FORMAT;
  readonly version: typeof FORMAT_VERSION;
  readonly checkpoint: string;
  /** The writers' mode (absent in catalogs written before it was recorded). */
  readonly mode?: RowPolicy["mode"] | undefined;
  /** The writers' history size (absent in catalogs written before it was recorded). */
  readonly historySize?: number | null | undefined;
  readonly seq: number;
  /** The fences of the last gc runs, newest first (absent: no gc yet). */
  readonly gcFences?: readonly GcFence[] | undefined;
  readonly updates: readonly string[];
  readonly rows: readonly CatalogRow[];
}

/** One object of a commit as its manifest lists it. */
export interface ManifestObject {
  /** Relative to the commit folder, e.g. `states/demo.RngState/state.json`. */
  readonly key: string;
  readonly size: number;
  /** e.g. `"crc32:0a1b2c3d"` (see checksum.ts): verified on every read. */
  readonly checksum: string;
  /** The content digest, e.g. `"xxh3-128:<32 hex>"` (digest.ts); absent in older manifests. */
  readonly digest?: string | undefined;
  /**
   * Where the bytes live, relative to the checkpoint root, when an earlier commit stored them
   * (`"commits/<commitId>/states/…/field.npy"`); absent: `commits/<this commitId>/<key>`.
   */
  readonly location?: string | undefined;
}

/** manifest.json: written once, last among a commit's objects, never replaced. */
export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.union([z.literal(1), z.literal(MANIFEST_VERSION)]),
  checkpoint: z.string(),
  commitId: commitIdSchema,
  mode: modeSchema,
  /** The writer's history size; absent in manifests written before it was recorded. */
  historySize: historySizeSchema.optional(),
  rank: count,
  worldSize: z.number().int().positive(),
  level: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  labels: labelsSchema,
  metadata: z.record(z.string(), json),
  writeCount: count,
  savedAt: isoDate,
  states: z.record(z.string(), z.object({ path: z.string(), schemaHash: z.string() })),
  objects: z.array(
    z.object({
      key: z.string().min(1),
      size: count,
      checksum: z.string().regex(/^[a-z0-9]+:[0-9a-f]+$/),
      digest: z
        .string()
        .regex(/^[a-z0-9-]+:[0-9a-f]+$/)
        .optional(),
      location: z.string().min(1).optional(),
    }),
  ),
});

/** A commit's manifest, verified by {@link CatalogClient.manifest}. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** 2 when an object lives in an earlier commit's folder (`location`), else 1. */
  readonly version: 1 | typeof MANIFEST_VERSION;
  readonly checkpoint: string;
  readonly commitId: string;
  readonly mode: "overwrite" | "append";
  /** The writer's history size (absent in manifests written before it was recorded: read as null). */
  readonly historySize?: number | null | undefined;
  readonly rank: number;
  readonly worldSize: number;
  readonly level: 0 | 1 | 2;
  readonly labels: Labels;
  readonly metadata: Readonly<Record<string, JsonValue>>;
  readonly writeCount: number;
  readonly savedAt: string;
  /** State id → folder relative to the commit folder, and the schema hash it was saved with. */
  readonly states: Readonly<Record<string, { readonly path: string; readonly schemaHash: string }>>;
  readonly objects: readonly ManifestObject[];
}

/** Why a document could not be used: `newer` must never be overwritten, `damaged` may be rebuilt. */
export type ParseProblem = { readonly kind: "newer" | "damaged"; readonly detail: string };

/** Parses UTF-8 JSON bytes against a schema, telling a newer format from damage. */
export function parseDocument<T>(
  bytes: Uint8Array,
  schema: z.ZodType<T>,
  format: string,
  maxVersion: number = FORMAT_VERSION,
): { ok: true; value: T } | { ok: false; problem: ParseProblem } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, problem: { kind: "damaged", detail: `not UTF-8 JSON (${String(error)})` } };
  }
  if (
    typeof value === "object" &&
    value !== null &&
    (value as { format?: unknown }).format === format &&
    typeof (value as { version?: unknown }).version === "number" &&
    (value as { version: number }).version > maxVersion
  )
    return {
      ok: false,
      problem: {
        kind: "newer",
        detail: `format version ${(value as { version: number }).version} is newer than ${maxVersion}; upgrade ckpt`,
      },
    };
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    return { ok: false, problem: { kind: "damaged", detail: z.prettifyError(parsed.error) } };
  return { ok: true, value: parsed.data };
}

/** A copy of a JSON value with the keys of every object sorted, so equal values serialize equally. */
export function canonical<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => canonical(item)) as T;
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]!);
    return out as T;
  }
  return value;
}

/**
 * UTF-8 JSON of a document. A manifest is indented for people; the catalog is compact because
 * every commit rewrites it.
 */
export function encodeDocument(value: CatalogFile | Manifest): Uint8Array {
  const text = value.format === MANIFEST_FORMAT ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  return new TextEncoder().encode(`${text}\n`);
}

/** Whether two label sets are equal by value (key order ignored). */
export function labelsEqual(a: Labels, b: Labels): boolean {
  return JSON.stringify(canonical(a as JsonValue)) === JSON.stringify(canonical(b as JsonValue));
}
