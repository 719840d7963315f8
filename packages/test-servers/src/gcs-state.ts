// TEST FIXTURE support: the in-memory buckets and objects of the fake Cloud Storage, and the
// precondition checks. Every check-and-write runs synchronously in one turn of the event loop, so it
// is atomic with respect to every other request the fixture serves.
import { createHash } from "node:crypto";
import { Crc32c } from "./crc32c.js";
import { conditionNotMet, GcsHttpError, invalid, noSuchBucket } from "./gcs-errors.js";

export interface StoredObject {
  readonly bucket: string;
  readonly name: string;
  readonly generation: number;
  readonly metageneration: number;
  readonly chunks: readonly Buffer[];
  readonly size: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly crc32c: string;
  readonly md5Hash: string;
  readonly timeCreated: Date;
}

export interface BucketState {
  readonly name: string;
  readonly timeCreated: Date;
  readonly objects: Map<string, StoredObject>;
}

/** The four precondition query parameters of objects.insert / objects.get / objects.delete. */
export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

const PRECONDITION_NAMES = [
  "ifGenerationMatch",
  "ifGenerationNotMatch",
  "ifMetagenerationMatch",
  "ifMetagenerationNotMatch",
] as const;

/** Reads the precondition parameters of a request (400 when one is not an integer). */
export function readPreconditions(query: URLSearchParams): Preconditions {
  const out: Preconditions = {};
  for (const name of PRECONDITION_NAMES) {
    const text = query.get(name);
    if (text === null) continue;
    if (!/^\d+$/.test(text)) throw invalid(`Invalid value for ${name}: ${text}`);
    out[name] = Number(text);
  }
  return out;
}

/** Throws 412 unless every precondition holds for `current` (undefined: no live object). */
export function checkPreconditions(current: StoredObject | undefined, pre: Preconditions): void {
  if (pre.ifGenerationMatch !== undefined) {
    // 0 means "only if there is no live object".
    const holds =
      pre.ifGenerationMatch === 0 ? current === undefined : current?.generation === pre.ifGenerationMatch;
    if (!holds) throw conditionNotMet();
  }
  if (pre.ifGenerationNotMatch !== undefined && current?.generation === pre.ifGenerationNotMatch)
    throw conditionNotMet();
  if (pre.ifMetagenerationMatch !== undefined && current?.metageneration !== pre.ifMetagenerationMatch)
    throw conditionNotMet();
  if (pre.ifMetagenerationNotMatch !== undefined && current?.metageneration === pre.ifMetagenerationNotMatch)
    throw conditionNotMet();
}

/** The fixture's whole storage: buckets, objects and the generation clock. */
export class GcsState {
  readonly buckets = new Map<string, BucketState>();
  #lastGeneration = 0;

  /** Unique, strictly increasing; microseconds since the epoch like real generations. */
  nextGeneration(): number {
    this.#lastGeneration = Math.max(this.#lastGeneration + 1, Date.now() * 1000);
    return this.#lastGeneration;
  }

  bucket(name: string): BucketState {
    const bucket = this.buckets.get(name);
    if (bucket === undefined) throw noSuchBucket();
    return bucket;
  }

  createBucket(name: string): BucketState {
    if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name)) throw invalid(`Invalid bucket name: '${name}'`);
    if (this.buckets.has(name))
      throw new GcsHttpError(
        409,
        "conflict",
        "Your previous request to create the named bucket succeeded and you already own it.",
      );
    const bucket: BucketState = { name, timeCreated: new Date(), objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /**
   * Checks the preconditions against the live object and, when they hold, makes `chunks` the new
   * live object with a fresh generation, all in one synchronous step.
   */
  commitObject(
    bucketName: string,
    name: string,
    chunks: readonly Buffer[],
    resource: { contentType?: unknown; metadata?: unknown },
    pre: Preconditions,
  ): StoredObject {
    const bucket = this.bucket(bucketName);
    checkPreconditions(bucket.objects.get(name), pre);
    const crc = new Crc32c();
    const md5 = createHash("md5");
    let size = 0;
    for (const chunk of chunks) {
      crc.update(chunk);
      md5.update(chunk);
      size += chunk.length;
    }
    const object: StoredObject = {
      bucket: bucketName,
      name,
      generation: this.nextGeneration(),
      metageneration: 1,
      chunks,
      size,
      contentType:
        typeof resource.contentType === "string" ? resource.contentType : "application/octet-stream",
      metadata: stringRecord(resource.metadata),
      crc32c: crc.base64(),
      md5Hash: md5.digest("base64"),
      timeCreated: new Date(),
    };
    bucket.objects.set(name, object);
    return object;
  }
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (entry !== null) out[key] = String(entry);
  return out;
}

/** Validates an object name as the reference does (1-1024 bytes of UTF-8, no CR/LF). */
export function checkObjectName(name: string | null): string {
  if (name === null || name === "") throw new GcsHttpError(400, "required", "Required parameter: name");
  if (Buffer.byteLength(name) > 1024 || /[\r\n]/.test(name))
    throw invalid(`The specified object name is not valid: ${JSON.stringify(name)}`);
  return name;
}
