import { Checksum, ChecksumOfPieces, checksumBeside, checksumOf } from "../checksum.js";
import { digestOf } from "../digest.js";
import {
  CheckpointIntegrityError,
  CheckpointSourceChangedError,
  InvalidKeyError,
  NotFoundError,
  StoreAbortedError,
  TooLargeError,
} from "../errors.js";
import { MANIFEST_NAME } from "../layout.js";
import { validateKey } from "../store/keys.js";
import type { Store } from "../store/types.js";
import type { ManifestObject } from "./catalog-format.js";
import { mapBounded } from "./pool.js";
import { type RetryPolicy, withRetry } from "./retry.js";

/** One object of a commit: its key relative to the commit folder and its bytes, as chunks. */
export interface CommitObject {
  /** Relative to the commit folder, e.g. `"states/demo.RngState/state.json"`. */
  readonly key: string;
  /** The bytes, in order; never copied by ckpt (a typed array's buffer can go out as it is). */
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
  /**
   * The checksum of the bytes when they were encoded, for chunks that view live memory: the put
   * sums them again once written and fails with `CheckpointSourceChangedError` if they changed.
   */
  readonly checksum?: string | undefined;
  /**
   * The chunks view memory the caller may change (a sync commit's live typed arrays) and no
   * `checksum` was summed when they were encoded: with incremental commits the content digest
   * taken before the put is taken again after it, and a difference fails with
   * `CheckpointSourceChangedError` (the CRC-32 is summed beside the put; an object reused
   * unchanged is only digested). Without them the object is summed just before its put and again
   * after it.
   */
  readonly live?: boolean | undefined;
}

/** Bytes already stored where a row of the commit's base catalog references them. */
export interface ReusableObject {
  /** Relative to the checkpoint root: `commits/<commitId>/<object key>`. */
  readonly location: string;
  /** The CRC-32 recorded for those bytes. */
  readonly checksum: string;
}

/**
 * How {@link putObjects} skips unchanged objects: each object's content digest is taken (in
 * order, before its put would start), and an object whose size and digest `find` knows is
 * listed at that location instead of being uploaded.
 */
export interface IncrementalPlan {
  /** Digests by object index, filled as they are taken (kept for a later attempt). */
  readonly digests: (string | undefined)[];
  readonly find: (size: number, digest: string) => ReusableObject | undefined;
}

export { MANIFEST_NAME };

/**
 * Checks that commit object keys are safe relative keys, unique, and not the manifest's name,
 * before anything is written.
 */
export function validateObjectKeys(keys: readonly string[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    validateKey(key);
    if (key === MANIFEST_NAME)
      throw new InvalidKeyError(key, `"${MANIFEST_NAME}" is reserved for the manifest`);
    if (seen.has(key)) throw new InvalidKeyError(key, "the key appears twice in one commit");
    seen.add(key);
  }
}

/**
 * Puts every object under `folder`, at most `concurrency` at once, retrying uncertain failures
 * (a put of a fresh key with the same bytes is safe to repeat). Each object's checksum is summed
 * while its put is in flight (it is needed only for the manifest, written after every object), so
 * on fast media the sum hides behind the write instead of adding to it.
 *
 * @returns each object's manifest entry, in the order given.
 */
export async function putObjects(
  store: Store,
  folder: string,
  objects: readonly CommitObject[],
  options: {
    concurrency: number;
    policy: RetryPolicy;
    signal: AbortSignal | undefined;
    incremental?: IncrementalPlan | undefined;
    /**
     * Called once, as soon as every object's entry is known (checksums summed, puts possibly
     * still in flight): the manifest can be written ahead while the puts finish.
     */
    whenListed?: ((entries: readonly ManifestObject[]) => void) | undefined;
  },
): Promise<ManifestObject[]> {
  const { incremental, signal } = options;
  const entries: ManifestObject[] = new Array(objects.length);
  let listed = 0;
  const list = (index: number, entry: ManifestObject) => {
    entries[index] = entry;
    if (++listed === objects.length) options.whenListed?.(entries);
  };
  // Digests are taken one object after another, in order, and each changed object's put starts
  // as soon as its digest is known: uploads overlap the hashing of the objects after them.
  async function* toUpload() {
    for (const [index, object] of objects.entries()) {
      checkDeclaredSize(`${folder}/${object.key}`, object);
      if (incremental === undefined) {
        yield { object: await summedIfLive(object, folder, signal), index, digest: undefined };
        continue;
      }
      const digest =
        incremental.digests[index] ?? (await digestOf(object.chunks, () => signal?.aborted === true));
      if (digest === undefined)
        throw new StoreAbortedError(`${folder}/${object.key}`, { cause: signal?.reason });
      incremental.digests[index] = digest;
      const found = incremental.find(object.size, digest);
      // A sync commit's encode-time checksum must agree too: otherwise the bytes changed since.
      if (found !== undefined && (object.checksum === undefined || object.checksum === found.checksum)) {
        list(index, {
          key: object.key,
          size: object.size,
          checksum: found.checksum,
          digest,
          location: found.location,
        });
        continue;
      }
      // Live bytes keep the digest just taken as their reference: it is checked again after the
      // put, and the CRC-32 is summed beside the put like any other object's.
      yield { object, index, digest };
    }
  }
  await mapBounded(toUpload(), options.concurrency, signal, async ({ object, index, digest }, inner) => {
    await putOne(store, `${folder}/${object.key}`, object, digest, options.policy, inner, (entry) =>
      list(index, entry),
    );
  });
  if (objects.length === 0) options.whenListed?.(entries);
  return entries;
}

/**
 * Live bytes about to be uploaded, summed now: that CRC-32 is the reference the put's re-check
 * compares with (cheaper than a second digest), and the checksum the manifest records.
 */
async function summedIfLive(
  object: CommitObject,
  folder: string,
  signal: AbortSignal | undefined,
): Promise<CommitObject> {
  if (object.live !== true || object.checksum !== undefined) return object;
  const checksum = await checksumBeside(object.chunks, () => signal?.aborted === true);
  if (checksum === undefined)
    throw new StoreAbortedError(`${folder}/${object.key}`, { cause: signal?.reason });
  return { ...object, checksum };
}

function checkDeclaredSize(key: string, object: CommitObject): void {
  let size = 0;
  for (const chunk of object.chunks) size += chunk.byteLength;
  if (size !== object.size)
    throw new CheckpointIntegrityError(
      key,
      `the commit object declares ${object.size} bytes but its chunks hold ${size} bytes`,
    );
}

async function putOne(
  store: Store,
  key: string,
  object: CommitObject,
  digest: string | undefined,
  policy: RetryPolicy,
  signal: AbortSignal,
  listed: (entry: ManifestObject) => void,
): Promise<void> {
  const size = object.size;
  // A live object whose digest was taken before its put is checked against that digest after it.
  const liveDigest = object.live === true && object.checksum === undefined ? digest : undefined;
  let failed = false;
  const put = withRetry(policy, signal, () => store.put(key, object.chunks, { signal, size }));
  put.catch(() => {
    failed = true;
  });
  const checksum = object.checksum ?? (await checksumBeside(object.chunks, () => failed || signal.aborted));
  if (checksum !== undefined)
    listed(
      digest === undefined
        ? { key: object.key, size, checksum }
        : { key: object.key, size, checksum, digest },
    );
  await put;
  // Stopped early only by a failed put (rethrown just above) or by an abort.
  if (checksum === undefined) throw new StoreAbortedError(key, { cause: signal.reason });
  if (liveDigest !== undefined) {
    // The digest again, after the put (XXH3 is faster than a second CRC-32): bytes changed at any
    // time during the put show here, before the swap.
    const after = await digestOf(object.chunks, () => signal.aborted);
    if (after === undefined) throw new StoreAbortedError(key, { cause: signal.reason });
    if (after !== liveDigest)
      throw new CheckpointSourceChangedError(
        key,
        `the bytes changed while they were uploaded (${liveDigest} before the put, ${after} after it); nothing was committed`,
      );
  } else if (object.checksum !== undefined) {
    // Summed again after the put: bytes changed at any time during it show here, before the swap.
    const after = await checksumBeside(object.chunks, () => signal.aborted);
    if (after === undefined) throw new StoreAbortedError(key, { cause: signal.reason });
    if (after !== object.checksum)
      throw new CheckpointSourceChangedError(
        key,
        `the bytes changed while they were uploaded (${object.checksum} when encoded, ${after} after the put); nothing was committed`,
      );
  }
}

/**
 * Reads one object and checks it against its manifest entry. The read is bounded by the declared
 * size, so a damaged object cannot make the reader allocate more than the manifest promised.
 */
export async function readVerified(
  store: Store,
  key: string,
  entry: ManifestObject,
  options: { policy: RetryPolicy; signal: AbortSignal | undefined },
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  // Summed piece by piece while later pieces are still being read, when the store offers them.
  const pieces = new ChecksumOfPieces();
  try {
    bytes = await withRetry(options.policy, options.signal, async () => {
      const result = await store.get(key, {
        maxBytes: entry.size,
        signal: options.signal,
        onChunk: pieces.onChunk,
      });
      return result.bytes;
    });
  } catch (error) {
    throw integrityFailure(key, entry, error);
  }
  checkBytes(key, entry, bytes.byteLength, pieces.digestFor(bytes.byteLength) ?? checksumOf(bytes));
  return bytes;
}

/** Streams one object through its checksum without keeping it, and checks it against `entry`. */
export async function verifyStreamed(
  store: Store,
  key: string,
  entry: ManifestObject,
  options: { policy: RetryPolicy; signal: AbortSignal | undefined },
): Promise<void> {
  const result = await withRetry(options.policy, options.signal, async () => {
    const { stream } = await store.getStream(key, { maxBytes: entry.size, signal: options.signal });
    const sum = new Checksum();
    for await (const chunk of stream) {
      sum.update(chunk);
      if (sum.size > entry.size) break;
    }
    return { size: sum.size, checksum: sum.digest() };
  }).catch((error: unknown) => {
    throw integrityFailure(key, entry, error);
  });
  checkBytes(key, entry, result.size, result.checksum);
}

function checkBytes(key: string, entry: ManifestObject, size: number, checksum: string): void {
  if (size !== entry.size)
    throw new CheckpointIntegrityError(
      key,
      `expected ${entry.size} bytes as the manifest lists, found ${size}`,
    );
  if (checksum !== entry.checksum)
    throw new CheckpointIntegrityError(
      key,
      `checksum ${checksum} differs from the manifest's ${entry.checksum}`,
    );
}

function integrityFailure(key: string, entry: ManifestObject, error: unknown): unknown {
  if (error instanceof NotFoundError)
    return new CheckpointIntegrityError(key, "the object listed in the manifest is missing", {
      cause: error,
    });
  if (error instanceof TooLargeError)
    return new CheckpointIntegrityError(key, `the object is larger than the manifest's ${entry.size} bytes`, {
      cause: error,
    });
  return error;
}
