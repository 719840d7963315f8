import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { normalizeStorePrefix, parseStoreOptions, StoreConfigError } from "@ckpt/core";
import { z } from "zod";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Bodies larger than this go as multipart uploads unless `multipartThreshold` says otherwise. */
export const DEFAULT_MULTIPART_THRESHOLD = 32 * MiB;
/** Part size of multipart uploads (S3's minimum is 5 MiB; raised for bodies beyond 10,000 parts). */
export const DEFAULT_PART_SIZE = 16 * MiB;
/** Parts of one multipart upload in flight at once. */
export const DEFAULT_PART_CONCURRENCY = 4;

/**
 * How a version goes into the `If-Match` header:
 * - `"auto"` (default): as S3 returned it (quoted); if the server answers 412 although a
 *   `HeadObject` shows that very ETag, the server compares ETags without quotes (Ceph radosgw
 *   16 does): the put is re-sent once without quotes and the store remembers it. On AWS this
 *   costs nothing, since a quoted ETag matches there.
 * - `"quoted"`: always as returned (AWS and servers that follow it).
 * - `"unquoted"`: always without the surrounding quotes (radosgw), with no detection round trip.
 */
export type IfMatchQuoting = "auto" | "quoted" | "unquoted";

/** Options of {@link S3Store}. Give either a ready `client` or a `clientConfig` (or neither). */
export interface S3StoreOptions {
  /** The bucket name. */
  readonly bucket: string;
  /**
   * The folder inside the bucket that holds the keys, given with or without slashes around it
   * (`"runs/2026"`, `"/runs/2026/"`); held without them. Default: the bucket root.
   */
  readonly prefix?: string | undefined;
  /** A ready client; the store never destroys a client it was given. */
  readonly client?: S3Client | undefined;
  /**
   * Options for the client the store creates (region, endpoint, `forcePathStyle`, credentials...).
   * Credentials default to the SDK's chain (environment, profile, instance role).
   */
  readonly clientConfig?: S3ClientConfig | undefined;
  /** Bodies larger than this many bytes go as multipart uploads (default 32 MiB, at least 5 MiB). */
  readonly multipartThreshold?: number | undefined;
  /** Part size of multipart uploads (default 16 MiB, at least 5 MiB). */
  readonly partSize?: number | undefined;
  /** Parts of one upload sent in parallel (default 4). */
  readonly partConcurrency?: number | undefined;
  /** See {@link IfMatchQuoting}; default `"auto"`. */
  readonly ifMatchQuoting?: IfMatchQuoting | undefined;
}

/** Options after validation, with defaults filled in. */
export interface ResolvedS3StoreOptions {
  readonly bucket: string;
  /** The prefix without slashes around it; `""` for the bucket root. */
  readonly prefix: string;
  readonly client: S3Client | undefined;
  readonly clientConfig: S3ClientConfig | undefined;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly partConcurrency: number;
  readonly ifMatchQuoting: IfMatchQuoting;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

// Bucket names as S3 and S3-compatible servers accept them (lenient about legacy upper case).
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;

const schema = z
  .object({
    bucket: z.string().regex(BUCKET, "a bucket name: 3-255 letters, digits, '.', '-' or '_'"),
    prefix: z.string().optional(),
    client: z
      .custom<S3Client>((value) => isObject(value) && typeof value.send === "function", "an S3Client")
      .optional(),
    clientConfig: z.custom<S3ClientConfig>(isObject, "an S3ClientConfig object").optional(),
    multipartThreshold: z
      .number()
      .int()
      .min(5 * MiB)
      .max(5 * GiB)
      .optional(),
    partSize: z
      .number()
      .int()
      .min(5 * MiB)
      .max(5 * GiB)
      .optional(),
    partConcurrency: z.number().int().min(1).max(64).optional(),
    ifMatchQuoting: z.enum(["auto", "quoted", "unquoted"]).optional(),
  })
  .strict();

/** Validates {@link S3StoreOptions}; a bad option is a `StoreConfigError` naming it. */
export function resolveOptions(options: S3StoreOptions): ResolvedS3StoreOptions {
  const value = parseStoreOptions(schema, options, "S3Store");
  if (value.client !== undefined && value.clientConfig !== undefined)
    throw new StoreConfigError('Invalid S3Store options: give either "client" or "clientConfig", not both');
  const prefix = normalizeStorePrefix(value.prefix, "S3Store");
  return {
    bucket: value.bucket,
    prefix,
    client: value.client,
    clientConfig: value.clientConfig,
    multipartThreshold: value.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD,
    partSize: value.partSize ?? DEFAULT_PART_SIZE,
    partConcurrency: value.partConcurrency ?? DEFAULT_PART_CONCURRENCY,
    ifMatchQuoting: value.ifMatchQuoting ?? "auto",
  };
}
