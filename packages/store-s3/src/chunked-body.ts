import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type { PutObjectCommand } from "@aws-sdk/client-s3";

/** What a `PutObject` of several chunks needs besides the chunks: their checksums. */
export interface ChunkSums {
  /** Base64 of the big-endian CRC-32, for `ChecksumCRC32` (the SDK's default checksum). */
  readonly crc32: string;
  /** Hex SHA-256, signed as `x-amz-content-sha256` as the SDK does for an in-memory body. */
  readonly sha256: string;
}

/**
 * Sums the chunks as the SDK would sum their concatenation, without joining them. Given to the
 * SDK, these keep it from turning a stream body into `aws-chunked` encoding with a trailing
 * checksum (which not every S3-compatible server accepts) or into an unsigned payload.
 */
export function sumChunks(chunks: readonly Uint8Array[]): ChunkSums {
  const sha = createHash("sha256");
  let crc = 0;
  for (const chunk of chunks) {
    sha.update(chunk);
    crc = crc32(chunk, crc);
  }
  const crcBytes = Buffer.alloc(4);
  crcBytes.writeUInt32BE(crc >>> 0);
  return { crc32: crcBytes.toString("base64"), sha256: sha.digest("hex") };
}

/**
 * Makes `command` send `chunks` one after another as its body, with the given SHA-256 signed in
 * place of the SDK's own. The command's own `Body` must be a placeholder array (e.g. the first
 * chunk) with `ContentLength` the total: the SDK's retry strategy never retries a request whose
 * body is a stream, so the stream replaces it only inside the retry loop, afresh for every
 * attempt (a retried put re-sends the whole body, not a drained stream).
 */
export function sendChunks(command: PutObjectCommand, chunks: readonly Uint8Array[], sha256: string): void {
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
