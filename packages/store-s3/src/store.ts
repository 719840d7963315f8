import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  ChecksumAlgorithm,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
  type Body,
  type CallOptions,
  type GetOptions,
  type GetResult,
  type GetStreamOptions,
  type GetStreamResult,
  InvalidArgumentError,
  type ListOptions,
  type ListPage,
  mapBounded,
  type ObjectInfo,
  PreconditionFailedError,
  type PutOptions,
  type Store,
  StoreError,
  type SweepOptions,
  type SweepResult,
  TooLargeError,
  TransientStoreError,
  throwIfAborted,
  validateKey,
  validatePrefix,
  validatePutOptions,
} from "@ckpt/core";
import { prepareBody } from "./body.js";
import { chunkedBody } from "./chunked-body.js";
import { createClient } from "./client.js";
import { type FailureContext, NoRetryWrapper, toStoreError } from "./errors.js";
import {
  type IfMatchQuoting,
  type ResolvedS3StoreOptions,
  resolveOptions,
  type S3StoreOptions,
} from "./options.js";
import { byteLengthOf, cutParts } from "./parts.js";
import { discard, guardedBody, type ResponseBody, readAll } from "./read.js";
import { parseS3Url } from "./url.js";

/** Keys per `DeleteObjects` call: S3's limit. */
const DELETE_BATCH = 1_000;
/** Items per `ListObjectsV2` page: S3's limit. */
const MAX_LIST_PAGE = 1_000;
/** S3 allows at most this many parts per multipart upload. */
const MAX_PARTS = 10_000;

/** The SDK's per-call options: the abort signal, when there is one. */
function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** The parts already taken from `rest`, then the others, pulled one at a time. */
async function* resumeParts<T>(head: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** An ETag without weak marker and quotes, for comparing the forms servers use. */
function bareEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/**
 * Makes the SDK send a conditional put exactly once. Its retry strategy would re-send a put that
 * ended in a 5xx or a dropped connection; if the first attempt had landed, the re-sent one fails
 * its own precondition and a success would be reported as a 412. The wrapper placed inside the
 * retry loop turns every failure into one the strategy does not retry.
 */
function sendOnce(command: PutObjectCommand): PutObjectCommand {
  type Handler = (args: unknown) => Promise<unknown>;
  command.middlewareStack.addRelativeTo(
    ((next: Handler) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        throw new NoRetryWrapper(error);
      }
    }) as unknown as Parameters<PutObjectCommand["middlewareStack"]["addRelativeTo"]>[0],
    {
      relation: "after",
      toMiddleware: "retryMiddleware",
      name: "ckptSendConditionalPutOnce",
      override: true,
    },
  );
  return command;
}

/**
 * A {@link Store} over Amazon S3 or an S3-compatible server (Ceph radosgw, MinIO, R2), through
 * `@aws-sdk/client-s3`. Keys live under `prefix` in `bucket`; `version` is the ETag.
 *
 * - Conditional puts use `If-None-Match: *` and `If-Match`, are sent exactly once (no SDK retry)
 *   and report an unknown outcome (5xx, timeout, dropped connection) as `TransientStoreError`.
 * - Bodies above `multipartThreshold` go as multipart uploads with `partConcurrency` parts in
 *   flight, cut from the caller's arrays by views (a part spanning several chunks is streamed
 *   from its views, never joined), aborted on failure or abort; a precondition on such a body is
 *   refused (`E_PRECONDITION_UNSUPPORTED`), since only small JSON objects need one.
 * - An ETag is a content hash: a put of identical bytes keeps the version.
 *
 * @example
 * const store = new S3Store({ bucket: "my-bucket", prefix: "runs", clientConfig: { region: "eu-west-1" } });
 * const same = S3Store.fromUrl("s3://my-bucket/runs?region=eu-west-1");
 */
export class S3Store implements Store {
  readonly url: string;
  /** The client in use (given, or created from `clientConfig`). */
  readonly client: S3Client;
  readonly bucket: string;
  /** The key prefix inside the bucket, without slashes around it. */
  readonly prefix: string;
  readonly #options: ResolvedS3StoreOptions;
  readonly #ownsClient: boolean;
  readonly #keyPrefix: string;
  /** `"auto"` until a server shows it compares `If-Match` without quotes. */
  #ifMatchQuoting: IfMatchQuoting;

  constructor(options: S3StoreOptions) {
    this.#options = resolveOptions(options);
    this.bucket = this.#options.bucket;
    this.prefix = this.#options.prefix;
    this.#keyPrefix = this.prefix === "" ? "" : `${this.prefix}/`;
    this.url = `s3://${this.bucket}/${this.prefix}`;
    this.#ownsClient = this.#options.client === undefined;
    this.client = this.#options.client ?? createClient(this.#options.clientConfig);
    this.#ifMatchQuoting = this.#options.ifMatchQuoting;
  }

  /**
   * Opens `s3://bucket/prefix?region=…&endpoint=…&forcePathStyle=true`. Other query parameters:
   * `multipartThreshold`, `partSize`, `partConcurrency` (bytes / counts) and `ifMatch`
   * (`auto` | `quoted` | `unquoted`). Credentials never go in the URL; they come from the SDK's
   * default chain. `overrides` win over the URL (e.g. a ready `client`).
   */
  static fromUrl(url: string | URL, overrides: Partial<S3StoreOptions> = {}): S3Store {
    const parsed = parseS3Url(url);
    const clientConfig =
      overrides.client === undefined ? (overrides.clientConfig ?? parsed.clientConfig) : undefined;
    return new S3Store({ ...parsed.options, ...overrides, clientConfig });
  }

  /** Whether the client sums request bodies (CRC-32) where S3 supports it: the SDK's default. */
  async #sumsBodies(): Promise<boolean> {
    return (await this.client.config.requestChecksumCalculation()) === "WHEN_SUPPORTED";
  }

  #s3Key(key: string): string {
    return this.#keyPrefix + key;
  }

  #context(
    op: FailureContext["op"],
    key: string | undefined,
    signal: AbortSignal | undefined,
  ): FailureContext {
    return { op, key, store: this.url, bucket: this.bucket, signal };
  }

  #info(
    key: string,
    size: number | undefined,
    etag: string | undefined,
    lastModified: Date | undefined,
  ): ObjectInfo {
    return { key, size: size ?? 0, version: etag ?? "", lastModified: lastModified ?? new Date() };
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    validatePutOptions(key, options);
    const { signal, ifMatch, ifNoneMatch } = options;
    throwIfAborted(signal, key);
    const conditional = ifMatch !== undefined || ifNoneMatch !== undefined;
    const prepared = await prepareBody(body, {
      threshold: this.#options.multipartThreshold,
      size: options.size,
      signal,
      key,
    });
    throwIfAborted(signal, key);
    if (prepared.kind === "multipart") {
      if (conditional) {
        prepared.release();
        throw new StoreError(
          "E_PRECONDITION_UNSUPPORTED",
          `put of "${key}" in ${this.url}: a precondition (ifMatch/ifNoneMatch) is only supported on bodies up to the multipart threshold of ${this.#options.multipartThreshold} bytes; this body is larger`,
          { key },
        );
      }
      return await this.#putMultipart(key, prepared, signal);
    }
    if (ifMatch === undefined) return await this.#putSingle(key, prepared.chunks, { ifNoneMatch, signal });
    if (this.#ifMatchQuoting === "unquoted")
      return await this.#putSingle(key, prepared.chunks, { ifMatch: bareEtag(ifMatch), signal });
    try {
      return await this.#putSingle(key, prepared.chunks, { ifMatch, signal });
    } catch (error) {
      if (
        !(error instanceof PreconditionFailedError) ||
        this.#ifMatchQuoting !== "auto" ||
        ifMatch === bareEtag(ifMatch)
      )
        throw error;
      // A 412 is definite (nothing was written), so asking again in the other form is safe. Only
      // when the object really has the ETag we sent does the server compare without quotes.
      const current = await this.head(key, { signal });
      if (current === undefined || bareEtag(current.version) !== bareEtag(ifMatch)) throw error;
      const result = await this.#putSingle(key, prepared.chunks, { ifMatch: bareEtag(ifMatch), signal });
      this.#ifMatchQuoting = "unquoted";
      return result;
    }
  }

  async #putSingle(
    key: string,
    chunks: readonly Uint8Array[],
    condition: {
      ifMatch?: string | undefined;
      ifNoneMatch?: "*" | undefined;
      signal: AbortSignal | undefined;
    },
  ): Promise<ObjectInfo> {
    const { ifMatch, ifNoneMatch, signal } = condition;
    // Several chunks (an .npy header and its array) go as a stream over them, not joined; one
    // array goes as it is.
    const body = chunkedBody(chunks, await this.#sumsBodies());
    const { size } = body;
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: this.#s3Key(key),
      ...body.input,
      ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }),
      ...(ifNoneMatch === undefined ? {} : { IfNoneMatch: ifNoneMatch }),
    };
    const conditional = ifMatch !== undefined || ifNoneMatch !== undefined;
    const command = new PutObjectCommand(input);
    body.attach(command);
    try {
      const output = await this.client.send(conditional ? sendOnce(command) : command, sendOptions(signal));
      if (output.ETag) return this.#info(key, size, output.ETag, new Date());
    } catch (error) {
      const mapped = toStoreError(error, {
        ...this.#context("put", key, signal),
        ifMatch: ifMatch !== undefined,
        conditional,
      });
      if (conditional && mapped instanceof TransientStoreError) {
        const landed = await this.#readBack(key, chunks, size, signal);
        if (landed !== undefined) return landed;
      }
      throw mapped;
    }
    return await this.#infoAfterWrite(key, signal);
  }

  /**
   * After a conditional put with an unknown outcome: the object's info when it now holds exactly
   * these bytes (its ETag is their MD5, as S3 and radosgw give for a single PutObject), else
   * `undefined` (not landed, or overwritten since: still unknown). Never guesses a failure.
   */
  async #readBack(
    key: string,
    chunks: readonly Uint8Array[],
    size: number,
    signal: AbortSignal | undefined,
  ): Promise<ObjectInfo | undefined> {
    try {
      const current = await this.head(key, { signal });
      if (current === undefined || current.size !== size) return undefined;
      const md5 = createHash("md5");
      for (const chunk of chunks) md5.update(chunk);
      return bareEtag(current.version) === md5.digest("hex") ? current : undefined;
    } catch {
      return undefined;
    }
  }

  async #putMultipart(
    key: string,
    prepared: {
      readonly chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
      readonly size: number | undefined;
      readonly release: () => void;
    },
    signal: AbortSignal | undefined,
  ): Promise<ObjectInfo> {
    const { size } = prepared;
    const partSize = Math.max(this.#options.partSize, size === undefined ? 0 : Math.ceil(size / MAX_PARTS));
    const target = { Bucket: this.bucket, Key: this.#s3Key(key) };
    const parts = cutParts(prepared.chunks, partSize);
    let uploadId: string | undefined;
    try {
      // Holding one part back tells whether the first part is also the last.
      const first = await parts.next();
      throwIfAborted(signal, key);
      if (first.done) {
        this.#checkSize(key, size, 0);
        return await this.#putSingle(key, [], { signal });
      }
      const second = await parts.next();
      throwIfAborted(signal, key);
      if (second.done) {
        this.#checkSize(key, size, byteLengthOf(first.value));
        return await this.#putSingle(key, first.value, { signal });
      }
      const create: { Bucket: string; Key: string; ChecksumAlgorithm?: ChecksumAlgorithm } = { ...target };
      // As lib-storage does: with checksums on by default each part carries its CRC-32 (summed by
      // the SDK, or by `chunkedBody` for a part of several views), which the upload must announce
      // up front and the completion must list.
      const withCrc32 = await this.#sumsBodies();
      if (withCrc32) create.ChecksumAlgorithm = ChecksumAlgorithm.CRC32;
      uploadId = (await this.client.send(new CreateMultipartUploadCommand(create), sendOptions(signal)))
        .UploadId;
      if (!uploadId)
        throw new StoreError(
          "E_PROTOCOL",
          `put of "${key}" in ${this.url}: CreateMultipartUpload returned no UploadId`,
          { key },
        );
      const upload = uploadId;
      let total = 0;
      const completed = await mapBounded(
        resumeParts([first.value, second.value], parts),
        this.#options.partConcurrency,
        signal,
        async (views, partSignal, index): Promise<CompletedPart> => {
          const partNumber = index + 1;
          if (partNumber > MAX_PARTS)
            throw new TooLargeError(key, MAX_PARTS * partSize, {
              detail: `put of "${key}" in ${this.url}: more than ${MAX_PARTS} parts of ${partSize} bytes; give the body's size`,
            });
          throwIfAborted(partSignal, key);
          // A part spanning chunks (e.g. an .npy header and its array) streams its views, unjoined.
          const body = chunkedBody(views, withCrc32);
          total += body.size;
          const command = new UploadPartCommand({
            ...target,
            UploadId: upload,
            PartNumber: partNumber,
            ...body.input,
          });
          body.attach(command);
          const output = await this.client.send(command, sendOptions(partSignal));
          if (!output.ETag)
            throw new StoreError("E_PROTOCOL", `put of "${key}": part ${partNumber} has no ETag`, { key });
          return {
            PartNumber: partNumber,
            ETag: output.ETag,
            ...(output.ChecksumCRC32 && { ChecksumCRC32: output.ChecksumCRC32 }),
            ...(output.ChecksumCRC32C && { ChecksumCRC32C: output.ChecksumCRC32C }),
            ...(output.ChecksumCRC64NVME && { ChecksumCRC64NVME: output.ChecksumCRC64NVME }),
            ...(output.ChecksumSHA1 && { ChecksumSHA1: output.ChecksumSHA1 }),
            ...(output.ChecksumSHA256 && { ChecksumSHA256: output.ChecksumSHA256 }),
          };
        },
      );
      throwIfAborted(signal, key);
      this.#checkSize(key, size, total);
      const output = await this.client.send(
        new CompleteMultipartUploadCommand({
          ...target,
          UploadId: upload,
          MultipartUpload: { Parts: completed },
        }),
        sendOptions(signal),
      );
      uploadId = undefined;
      // radosgw answers CompleteMultipartUpload with an empty ETag; HeadObject has the real one.
      if (output.ETag) return this.#info(key, total, output.ETag, new Date());
    } catch (error) {
      prepared.release();
      if (uploadId !== undefined) {
        // Without a signal: the upload must go even when the caller aborted.
        await this.client
          .send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }))
          .catch(() => {});
      }
      if (signal?.aborted) throwIfAborted(signal, key);
      if (error instanceof StoreError) throw error;
      throw toStoreError(error, this.#context("put", key, signal));
    }
    return await this.#infoAfterWrite(key, signal);
  }

  /** Refuses a body whose length differs from the size the caller declared for it. */
  #checkSize(key: string, declared: number | undefined, actual: number): void {
    if (declared !== undefined && declared !== actual)
      throw new InvalidArgumentError(
        key,
        `put in ${this.url}: the body has ${actual} bytes but its declared size is ${declared}`,
      );
  }

  /** The object's info right after a write whose response lacked it. */
  async #infoAfterWrite(key: string, signal: AbortSignal | undefined): Promise<ObjectInfo> {
    const info = await this.head(key, { signal });
    if (info === undefined || info.version === "")
      throw new StoreError(
        "E_PROTOCOL",
        `put of "${key}" in ${this.url} succeeded but the server reported no ETag, and HeadObject could not supply one`,
        { key },
      );
    return info;
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    validateKey(key);
    const { signal, maxBytes } = options;
    throwIfAborted(signal, key);
    const context = this.#context("get", key, signal);
    const { info, body } = await this.#open(key, context, maxBytes);
    const bytes = await readAll(body, {
      expectedSize: info.size,
      maxBytes,
      signal,
      context,
      onChunk: options.onChunk,
    });
    return { info, bytes };
  }

  async getStream(key: string, options: GetStreamOptions = {}): Promise<GetStreamResult> {
    validateKey(key);
    const { signal, maxBytes } = options;
    throwIfAborted(signal, key);
    const context = this.#context("getStream", key, signal);
    const { info, body } = await this.#open(key, context, maxBytes);
    return { info, stream: guardedBody(body, { expectedSize: info.size, maxBytes, signal, context }) };
  }

  /** Sends `GetObject` and checks the announced length before any of the body is read. */
  async #open(
    key: string,
    context: FailureContext,
    maxBytes: number | undefined,
  ): Promise<{ info: ObjectInfo; body: ResponseBody }> {
    let output: GetObjectCommandOutput;
    try {
      output = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#s3Key(key) }),
        sendOptions(context.signal),
      );
    } catch (error) {
      throw toStoreError(error, context);
    }
    const body = output.Body as ResponseBody | undefined;
    if (maxBytes !== undefined && output.ContentLength !== undefined && output.ContentLength > maxBytes) {
      discard(body);
      throw new TooLargeError(key, maxBytes);
    }
    const info = this.#info(key, output.ContentLength, output.ETag, output.LastModified);
    return { info, body: body ?? (async function* () {})() };
  }

  async head(key: string, options: CallOptions = {}): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const { signal } = options;
    throwIfAborted(signal, key);
    try {
      const output = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#s3Key(key) }),
        sendOptions(signal),
      );
      return this.#info(key, output.ContentLength, output.ETag, output.LastModified);
    } catch (error) {
      const mapped = toStoreError(error, this.#context("head", key, signal));
      if (mapped.code === "E_NOT_FOUND") return undefined;
      throw mapped;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const { signal, cursor, limit } = options;
    throwIfAborted(signal, prefix);
    const maxKeys =
      limit === undefined ? MAX_LIST_PAGE : Math.max(1, Math.min(MAX_LIST_PAGE, Math.floor(limit)));
    try {
      const output = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.#keyPrefix + prefix,
          MaxKeys: maxKeys,
          ...(cursor === undefined ? {} : { ContinuationToken: cursor }),
        }),
        sendOptions(signal),
      );
      const items: ObjectInfo[] = [];
      for (const object of output.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.#keyPrefix)) continue;
        items.push(
          this.#info(object.Key.slice(this.#keyPrefix.length), object.Size, object.ETag, object.LastModified),
        );
      }
      const next = output.IsTruncated ? output.NextContinuationToken : undefined;
      return next === undefined ? { items } : { items, cursor: next };
    } catch (error) {
      throw toStoreError(error, this.#context("list", prefix, signal));
    }
  }

  async delete(keys: readonly string[], options: CallOptions = {}): Promise<void> {
    for (const key of keys) validateKey(key);
    const { signal } = options;
    throwIfAborted(signal, keys[0]);
    const unique = [...new Set(keys)];
    const failed: { key: string; code: string }[] = [];
    for (let start = 0; start < unique.length; start += DELETE_BATCH) {
      const batch = unique.slice(start, start + DELETE_BATCH);
      try {
        const output = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.#s3Key(key) })), Quiet: true },
          }),
          sendOptions(signal),
        );
        for (const error of output.Errors ?? []) {
          if (error.Code === "NoSuchKey") continue;
          const key = error.Key?.startsWith(this.#keyPrefix)
            ? error.Key.slice(this.#keyPrefix.length)
            : (error.Key ?? "?");
          failed.push({ key, code: error.Code ?? "UnknownError" });
        }
      } catch (error) {
        throw toStoreError(error, this.#context("delete", batch[0], signal));
      }
    }
    if (failed.length > 0) {
      const shown = failed
        .slice(0, 10)
        .map(({ key, code }) => `"${key}" (${code})`)
        .join(", ");
      throw new StoreError(
        "E_DELETE_FAILED",
        `Could not delete ${failed.length} of ${unique.length} keys in ${this.url}: ${shown}${failed.length > 10 ? ", …" : ""}`,
        { key: failed[0]?.key },
      );
    }
  }

  /**
   * Aborts the incomplete multipart uploads under `prefix` that were initiated more than
   * `olderThan` ms ago (by the server's clock): uploads of writers killed mid-put, whose parts S3
   * keeps, and bills, until they are aborted. `bytes` is the size of their uploaded parts (one
   * `ListParts` call per 1,000 parts). An upload still running is aborted too if it is older than
   * `olderThan`: give a grace period longer than the longest upload.
   *
   * @example
   * await store.sweep("runs/", { olderThan: 24 * 3_600_000 });
   */
  async sweep(prefix: string, options: SweepOptions): Promise<SweepResult> {
    validatePrefix(prefix);
    const { signal, olderThan, dryRun } = options;
    throwIfAborted(signal, prefix);
    const context = this.#context("sweep", prefix, signal);
    let count = 0;
    let bytes = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.#keyPrefix + prefix,
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
          }),
          sendOptions(signal),
        );
        for (const upload of page.Uploads ?? []) {
          const { Key, UploadId, Initiated } = upload;
          if (Key === undefined || UploadId === undefined || !Key.startsWith(this.#keyPrefix)) continue;
          if (Initiated === undefined || Date.now() - Initiated.getTime() < olderThan) continue;
          bytes += await this.#uploadedBytes(Key, UploadId, signal);
          if (!dryRun) await this.#abortUpload(Key, UploadId, signal);
          count++;
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.NextUploadIdMarker;
      } while (keyMarker !== undefined);
    } catch (error) {
      throw toStoreError(error, context);
    }
    return { count, bytes };
  }

  /** The bytes of the parts an incomplete upload holds. */
  async #uploadedBytes(key: string, uploadId: string, signal: AbortSignal | undefined): Promise<number> {
    let bytes = 0;
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListPartsCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          ...(marker === undefined ? {} : { PartNumberMarker: marker }),
        }),
        sendOptions(signal),
      );
      for (const part of page.Parts ?? []) bytes += part.Size ?? 0;
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker !== undefined);
    return bytes;
  }

  /** Aborts an upload; one that is already gone (completed or aborted meanwhile) is not an error. */
  async #abortUpload(key: string, uploadId: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        sendOptions(signal),
      );
    } catch (error) {
      if ((error as { name?: unknown }).name !== "NoSuchUpload") throw error;
    }
  }

  /** Destroys the client if the store made it (a client given in the options is left alone). */
  async close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy();
  }
}
