import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { Checksum } from "@ckpt/core";

/** What a `PutObject` or `UploadPart` of several chunks needs besides the chunks: their checksums. */
export interface ChunkSums {
  /** Base64 of the big-endian CRC-32, for `ChecksumCRC32` (the SDK's default checksum). */
  readonly crc32: string;
  /** Hex SHA-256, signed as `x-amz-content-sha256` as the SDK does for an in-memory body. */
  readonly sha256: string;
}

/**
 * The CRC-32 of the chunks as S3's `ChecksumCRC32` field wants it (base64 of the big-endian
 * value), summed by core's CRC-32 (SIMD `@node-rs/crc32` where it loads: 2-3 times the speed of
 * the `zlib.crc32` the SDK would use; same values).
 */
export function crc32Base64(chunks: readonly Uint8Array[]): string {
  const sum = new Checksum();
  for (const chunk of chunks) sum.update(chunk);
  // The digest is "crc32:<8 hex digits>".
  return Buffer.from(sum.digest().slice(-8), "hex").toString("base64");
}

/**
 * Sums the chunks as the SDK would sum their concatenation, without joining them. Given to the
 * SDK, these keep it from turning a stream body into `aws-chunked` encoding with a trailing
 * checksum (which not every S3-compatible server accepts) or into an unsigned payload.
 */
export function sumChunks(chunks: readonly Uint8Array[]): ChunkSums {
  const sha = createHash("sha256");
  for (const chunk of chunks) sha.update(chunk);
  return { crc32: crc32Base64(chunks), sha256: sha.digest("hex") };
}

/** A command whose body {@link sendChunks} can replace: a single put or one part of an upload. */
export type ChunkedBodyCommand = PutObjectCommand | UploadPartCommand;

/**
 * Makes `command` send `chunks` one after another as its body, with the given SHA-256 signed in
 * place of the SDK's own. The command's own `Body` must be a placeholder array (e.g. the first
 * chunk) with `ContentLength` the total: the SDK's retry strategy never retries a request whose
 * body is a stream, so the stream replaces it only inside the retry loop, afresh for every
 * attempt (a retried put or part re-sends the whole body, not a drained stream).
 */
export function sendChunks(command: ChunkedBodyCommand, chunks: readonly Uint8Array[], sha256: string): void {
  type Handler = (args: { request: unknown }) => Promise<unknown>;
  type Middleware = (next: Handler) => Handler;
  // The SDK's overloads tie middleware types to each step; these two only touch the request.
  const stack = command.middlewareStack as unknown as {
    add(
      middleware: Middleware,
      options: { step: string; priority: string; name: string; override: boolean },
    ): void;
  };
  stack.add(
    (next: Handler) => async (args: { request: unknown }) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers !== undefined) request.headers["x-amz-content-sha256"] = sha256;
      return await next(args);
    },
    { step: "build", priority: "low", name: "ckptSignChunkedBody", override: true },
  );
  stack.add(
    (next: Handler) => async (args: { request: unknown }) => {
      const request = args.request as { body?: unknown };
      request.body = Readable.from(chunks, { objectMode: false });
      return await next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "ckptFreshChunkedBody", override: true },
  );
}

/** The body fields of a `PutObject` or `UploadPart` input made by {@link chunkedBody}. */
export interface ChunkedBodyInput {
  /** The one chunk, or with several a placeholder that {@link ChunkedBody.attach} replaces. */
  readonly Body: Uint8Array;
  readonly ContentLength: number;
  /**
   * Given when the client sums bodies: with several chunks it cannot sum the placeholder, and
   * with one it would sum it again, more slowly.
   */
  readonly ChecksumCRC32?: string;
}

/** What sends a chunk list as a command's body: the input fields, then `attach` on the command. */
export interface ChunkedBody {
  readonly input: ChunkedBodyInput;
  /** Total bytes. */
  readonly size: number;
  /** Must be called on the command made from `input` (does nothing for one chunk). */
  readonly attach: (command: ChunkedBodyCommand) => void;
}

/**
 * Prepares `chunks` as the body of a `PutObject` or `UploadPart` without joining them. One chunk
 * (or none) goes as a plain array; several go as a stream made inside the retry loop, with the
 * signed SHA-256 computed here over the chunks. Either way the CRC-32 (`withCrc32`: the client's
 * `requestChecksumCalculation` is `WHEN_SUPPORTED`) is summed here, so the SDK does not.
 *
 * @example
 * const body = chunkedBody([header, data], true);
 * const command = new UploadPartCommand({ ...target, PartNumber: 1, ...body.input });
 * body.attach(command);
 */
export function chunkedBody(chunks: readonly Uint8Array[], withCrc32: boolean): ChunkedBody {
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  const first = chunks[0] ?? new Uint8Array(0);
  if (chunks.length <= 1)
    return {
      input: {
        Body: first,
        ContentLength: size,
        ...(withCrc32 ? { ChecksumCRC32: crc32Base64(chunks) } : {}),
      },
      size,
      attach: () => {},
    };
  const sums = sumChunks(chunks);
  return {
    // `first` is a placeholder: the retry strategy must not see a stream (it never retries one).
    input: { Body: first, ContentLength: size, ...(withCrc32 ? { ChecksumCRC32: sums.crc32 } : {}) },
    size,
    attach: (command) => sendChunks(command, chunks, sums.sha256),
  };
}
