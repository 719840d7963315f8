import { normalizeStorePrefix, parseStoreOptions } from "@ckpt/core";
import type { Storage, StorageOptions } from "@google-cloud/storage";
import { z } from "zod";

/** Cloud Storage needs every non-final chunk of a resumable upload to be a multiple of this. */
export const RESUMABLE_CHUNK_QUANTUM = 256 * 1024;

/** Options of {@link GcsStore}. */
export interface GcsStoreOptions {
  /** The bucket, e.g. `"my-bucket"`. */
  readonly bucket: string;
  /**
   * The folder inside the bucket that holds the keys, given with or without slashes around it
   * (`"runs"`, `"/runs/"`); held without them. Default: the bucket root.
   */
  readonly prefix?: string | undefined;
  /** A ready client. When absent, one is made from `storageOptions`. */
  readonly storage?: Storage | undefined;
  /**
   * Options for the client made when `storage` is absent (`apiEndpoint`, `projectId`, `keyFilename`,
   * `retryOptions`, …). `STORAGE_EMULATOR_HOST` is honoured by the SDK itself.
   */
  readonly storageOptions?: StorageOptions | undefined;
  /** Bodies larger than this many bytes (or of unknown size) go as resumable uploads. Default 8 MiB. */
  readonly resumableThreshold?: number | undefined;
  /** Bytes per request of a resumable upload, a multiple of 256 KiB. Default 16 MiB. */
  readonly chunkSize?: number | undefined;
  /** Parallel requests of one `delete` call. Default 16. */
  readonly deleteConcurrency?: number | undefined;
  /** Let the SDK check the CRC-32C of whole-object downloads and uploads. Default true. */
  readonly validation?: boolean | undefined;
}

const storageLike = z.custom<Storage>(
  (value) => typeof value === "object" && value !== null && typeof (value as Storage).bucket === "function",
  "must be a @google-cloud/storage Storage client",
);

const schema = z.strictObject({
  // Bucket naming rules of Cloud Storage, loosely: 3-222 chars of lowercase letters, digits, - _ .
  bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, "must be a Cloud Storage bucket name"),
  prefix: z.string().optional(),
  storage: storageLike.optional(),
  storageOptions: z.record(z.string(), z.unknown()).optional(),
  resumableThreshold: z.number().int().nonnegative().optional(),
  chunkSize: z
    .number()
    .int()
    .positive()
    .refine((n) => n % RESUMABLE_CHUNK_QUANTUM === 0, "must be a multiple of 262144 (256 KiB)")
    .optional(),
  deleteConcurrency: z.number().int().positive().max(256).optional(),
  validation: z.boolean().optional(),
});

/** The options after validation, with defaults and the prefix without slashes around it. */
export interface ResolvedGcsStoreOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly storage: Storage | undefined;
  readonly storageOptions: StorageOptions;
  readonly resumableThreshold: number;
  readonly chunkSize: number;
  readonly deleteConcurrency: number;
  readonly validation: boolean;
}

/** Validates the options; a bad one is a `StoreConfigError` that names it. */
export function resolveOptions(options: GcsStoreOptions): ResolvedGcsStoreOptions {
  const value = parseStoreOptions(schema, options, "GcsStore");
  const prefix = normalizeStorePrefix(value.prefix, "GcsStore");
  return {
    bucket: value.bucket,
    prefix,
    storage: value.storage,
    storageOptions: (value.storageOptions ?? {}) as StorageOptions,
    resumableThreshold: value.resumableThreshold ?? 8 * 1024 * 1024,
    chunkSize: value.chunkSize ?? 16 * 1024 * 1024,
    deleteConcurrency: value.deleteConcurrency ?? 16,
    validation: value.validation ?? true,
  };
}
