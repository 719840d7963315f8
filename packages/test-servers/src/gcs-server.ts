/**
 * TEST FIXTURE — NOT Google Cloud Storage, and not for production use.
 *
 * An in-memory HTTP server on 127.0.0.1 that implements the part of the Cloud Storage JSON API
 * that `@google-cloud/storage` 7.x uses for ckpt's store, following Google's published reference:
 *
 * - buckets: `GET /storage/v1/b/{bucket}`, `POST /storage/v1/b?project=…` (insert);
 * - objects.insert: `POST /upload/storage/v1/b/{bucket}/o` with `uploadType=media`, `multipart`
 *   (multipart/related: JSON metadata part, then media) and `resumable` (the POST answers with the
 *   session URI in `Location`; `PUT`s to it carry `Content-Range: bytes a-b/total|*`; non-final chunks
 *   answer `308` with `Range: bytes=0-n` for the whole 256 KiB units persisted; `bytes a-*\/…` sends
 *   the rest of the object in one request (the SDK's default single-request mode); `bytes *\/…` asks
 *   for the status; the last chunk answers `200` with the object resource; a finished session
 *   answers every later `PUT` with the same `200`);
 * - objects.get (`alt=json`, the default) and `alt=media` downloads (with `Range`, `x-goog-hash`,
 *   `x-goog-generation`, `x-goog-stored-content-encoding`), also under `/download/storage/v1`;
 * - objects.list with `prefix`, `delimiter`, `maxResults` (≤ 1000), `pageToken`, `startOffset`,
 *   `endOffset`, in UTF-8 byte order of the names;
 * - objects.delete (`204`).
 *
 * Generations are unique, strictly increasing integers (microseconds, like GCS). The preconditions
 * `ifGenerationMatch` (0: the object must not exist), `ifGenerationNotMatch`, `ifMetagenerationMatch`
 * and `ifMetagenerationNotMatch` are checked in the same synchronous step as the write or delete,
 * so they are atomic across concurrent requests; a `generation` parameter selects that generation
 * (only the live one is kept: no object versioning). Errors are JSON API error bodies with the
 * reference's status codes and reasons (400 invalid/required, 404 notFound, 409 conflict,
 * 412 conditionNotMet, 5xx backendError).
 *
 * Paths are accepted with and without the `/storage/v1` prefix, because the SDK drops it when
 * `STORAGE_EMULATOR_HOST` is set. No authentication is checked.
 *
 * Fault injection (see gcs-faults.ts): answer a request with a status (e.g. 503) without effect,
 * drop the connection before any effect, or apply a write and then drop the connection so the
 * client never learns the outcome. Driven in-process through `server.faults` or over HTTP through
 * `/__fixture/faults` (see `FixtureClient`).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { backendError, GcsHttpError, invalid, noSuchObject } from "./gcs-errors.js";
import { type FaultAction, FaultController, type FaultSpec, type GcsOperation } from "./gcs-faults.js";
import { bucketResource, compareNames, objectResource } from "./gcs-resources.js";
import {
  checkObjectName,
  checkPreconditions,
  GcsState,
  type Preconditions,
  readPreconditions,
  type StoredObject,
} from "./gcs-state.js";
import { parseMultipartRelated } from "./multipart.js";

/** Non-final resumable chunks are persisted in whole units of this size, as GCS requires. */
export const RESUMABLE_QUANTUM = 256 * 1024;

/** One request the fixture served, for tests that check how the client talked to it. */
export interface RequestRecord {
  readonly method: string;
  readonly operation: GcsOperation;
  readonly bucket: string | undefined;
  readonly object: string | undefined;
  readonly query: string;
  readonly contentRange: string | undefined;
  status: number | "dropped";
}

interface UploadSession {
  readonly bucket: string;
  readonly name: string;
  readonly resource: Record<string, unknown>;
  readonly pre: Preconditions;
  readonly chunks: Buffer[];
  received: number;
  total: number | undefined;
  object?: StoredObject;
  failure?: GcsHttpError;
}

interface Route {
  operation: GcsOperation;
  bucket?: string;
  object?: string;
  session?: UploadSession;
  range?: ContentRange;
  finalizing: boolean;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  media?: { object: StoredObject; start: number; end: number };
}

/** `bytes a-b/t`, `bytes a-*` + `/t` (all the rest is this request's body) or `bytes *` + `/t`. */
type ContentRange =
  | { first: number; last: number | undefined; total: number | undefined }
  | { total: number | undefined };

const MAX_RECORDS = 20_000;

export class GcsTestServer {
  readonly state = new GcsState();
  readonly faults = new FaultController();
  readonly requests: RequestRecord[] = [];
  readonly #server: Server;
  readonly #sessions = new Map<string, UploadSession>();
  #nextSession = 1;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a server on 127.0.0.1 (a free port unless one is given). */
  static async start(options: { port?: number } = {}): Promise<GcsTestServer> {
    let instance: GcsTestServer | undefined;
    const server = createServer((req, res) => {
      void instance!.#handle(req, res);
    });
    instance = new GcsTestServer(server);
    server.keepAliveTimeout = 60_000;
    server.listen(options.port ?? 0, "127.0.0.1");
    await once(server, "listening");
    return instance;
  }

  /** e.g. `http://127.0.0.1:41234`: use as `apiEndpoint` or `STORAGE_EMULATOR_HOST`. */
  get url(): string {
    const address = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fixture");
    const base = `http://${req.headers.host ?? "127.0.0.1"}`;
    if (url.pathname.startsWith("/__fixture/")) return this.#control(req, res, url);
    let route: Route;
    try {
      route = this.#route(req.method ?? "GET", url, req);
    } catch (error) {
      await drain(req);
      return sendError(res, error);
    }
    const record: RequestRecord = {
      method: req.method ?? "GET",
      operation: route.operation,
      bucket: route.bucket,
      object: route.object,
      query: url.search,
      contentRange: req.headers["content-range"],
      status: 0,
    };
    if (this.requests.length >= MAX_RECORDS) this.requests.shift();
    this.requests.push(record);

    const fault = this.faults.take({
      operation: route.operation,
      bucket: route.bucket,
      object: route.object,
      finalizing: route.finalizing,
    });
    if (fault === "drop-request") {
      record.status = "dropped";
      req.socket.destroy();
      return;
    }
    if (isStatusFault(fault)) {
      await drain(req);
      record.status = fault.status;
      return sendError(res, backendError(fault.status));
    }

    let reply: Reply;
    try {
      reply = await this.#dispatch(route, req, url, base);
    } catch (error) {
      await drain(req);
      if (!(error instanceof GcsHttpError)) console.error("gcs test server:", error);
      reply = errorReply(error);
    }
    if (fault === "drop-response") {
      record.status = "dropped";
      req.socket.destroy();
      return;
    }
    record.status = reply.status;
    await send(res, reply, req.method === "HEAD");
  }

  #route(method: string, url: URL, req: IncomingMessage): Route {
    // The SDK sends `/storage/v1/b/…` with apiEndpoint, `/b/…` with STORAGE_EMULATOR_HOST.
    let path = url.pathname;
    while (path.startsWith("/storage/v1/")) path = path.slice("/storage/v1".length);
    let area: "json" | "upload" | "download" = "json";
    if (path.startsWith("/upload/storage/v1/")) {
      area = "upload";
      path = path.slice("/upload/storage/v1".length);
    } else if (path.startsWith("/download/storage/v1/")) {
      area = "download";
      path = path.slice("/download/storage/v1".length);
    }
    const parts = path.split("/").slice(1);
    if (parts[0] !== "b") throw new GcsHttpError(404, "notFound", `Not Found: ${url.pathname}`);
    const bucket = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
    if (parts.length === 1 && method === "POST") return { operation: "buckets.insert", finalizing: false };
    if (bucket === undefined) throw new GcsHttpError(404, "notFound", "Not Found");
    if (parts.length === 2 && method === "GET")
      return { operation: "buckets.get", bucket, finalizing: false };
    if (parts[2] !== "o") throw new GcsHttpError(404, "notFound", `Not Found: ${url.pathname}`);

    if (area === "upload") {
      const uploadId = url.searchParams.get("upload_id");
      if (uploadId !== null) {
        const session = this.#sessions.get(uploadId);
        if (session === undefined)
          throw new GcsHttpError(404, "notFound", "No such upload session (invalid upload_id).");
        const range = parseContentRange(req.headers["content-range"]);
        return {
          operation: "resumable.put",
          bucket: session.bucket,
          object: session.name,
          session,
          range,
          finalizing: isFinalizing(session, range),
        };
      }
      const uploadType = url.searchParams.get("uploadType");
      const object = url.searchParams.get("name") ?? undefined;
      if (method !== "POST") throw new GcsHttpError(405, "methodNotAllowed", "Method not allowed");
      if (uploadType === "resumable")
        return { operation: "resumable.start", bucket, ...opt(object), finalizing: false };
      if (uploadType === "media" || uploadType === "multipart")
        return { operation: "objects.insert", bucket, ...opt(object), finalizing: true };
      throw invalid(`Invalid uploadType: ${uploadType ?? "(none)"}`);
    }

    if (parts.length === 3) {
      if (method === "GET") return { operation: "objects.list", bucket, finalizing: false };
      throw new GcsHttpError(405, "methodNotAllowed", "Method not allowed");
    }
    // Object names are one percent-encoded segment ("a%2Fb"); tolerate raw slashes too.
    const object = decodeURIComponent(parts.slice(3).join("/"));
    if (method === "DELETE") return { operation: "objects.delete", bucket, object, finalizing: false };
    if (method === "GET" || method === "HEAD") {
      const media = area === "download" || url.searchParams.get("alt") === "media";
      return { operation: media ? "objects.media" : "objects.get", bucket, object, finalizing: false };
    }
    throw new GcsHttpError(405, "methodNotAllowed", "Method not allowed");
  }

  async #dispatch(route: Route, req: IncomingMessage, url: URL, base: string): Promise<Reply> {
    const query = url.searchParams;
    switch (route.operation) {
      case "buckets.insert": {
        const body = parseJson(await readAll(req));
        const name = typeof body.name === "string" ? body.name : "";
        return { status: 200, json: bucketResource(base, this.state.createBucket(name)) };
      }
      case "buckets.get":
        return { status: 200, json: bucketResource(base, this.state.bucket(route.bucket!)) };
      case "objects.list":
        return { status: 200, json: this.#list(route.bucket!, query, base) };
      case "objects.get":
      case "objects.media": {
        const object = this.#read(route.bucket!, route.object!, query);
        if (route.operation === "objects.get") return { status: 200, json: objectResource(base, object) };
        return mediaReply(object, req.headers.range);
      }
      case "objects.delete": {
        const bucket = this.state.bucket(route.bucket!);
        const object = this.#read(route.bucket!, route.object!, query);
        bucket.objects.delete(object.name);
        return { status: 204 };
      }
      case "objects.insert":
        return this.#insert(route, req, query, base);
      case "resumable.start":
        return this.#startResumable(route, req, query, base);
      case "resumable.put":
        return this.#putResumable(route.session!, route.range!, req, base);
    }
  }

  /** The live object, after its `generation` selector and preconditions. */
  #read(bucketName: string, name: string, query: URLSearchParams): StoredObject {
    const object = this.state.bucket(bucketName).objects.get(name);
    const generation = query.get("generation");
    if (object === undefined || (generation !== null && String(object.generation) !== generation))
      throw noSuchObject(bucketName, name);
    checkPreconditions(object, readPreconditions(query));
    return object;
  }

  #list(bucketName: string, query: URLSearchParams, base: string): Record<string, unknown> {
    const bucket = this.state.bucket(bucketName);
    const prefix = query.get("prefix") ?? "";
    const delimiter = query.get("delimiter") ?? "";
    const startOffset = query.get("startOffset");
    const endOffset = query.get("endOffset");
    const maxText = query.get("maxResults");
    if (maxText !== null && !/^\d+$/.test(maxText)) throw invalid(`Invalid value for maxResults: ${maxText}`);
    const maxResults = Math.min(maxText === null || maxText === "0" ? 1000 : Number(maxText), 1000);
    const token = query.get("pageToken");
    const after = token === null || token === "" ? undefined : decodePageToken(token);

    const names = [...bucket.objects.keys()]
      .filter((name) => name.startsWith(prefix))
      .filter((name) => startOffset === null || compareNames(name, startOffset) >= 0)
      .filter((name) => endOffset === null || endOffset === "" || compareNames(name, endOffset) < 0)
      .sort(compareNames);
    const items: StoredObject[] = [];
    const prefixes: string[] = [];
    let last: string | undefined;
    let more = false;
    for (const name of names) {
      let entry = name;
      let isPrefix = false;
      if (delimiter !== "") {
        const cut = name.indexOf(delimiter, prefix.length);
        if (cut !== -1) {
          entry = name.slice(0, cut + delimiter.length);
          isPrefix = true;
        }
      }
      if (after !== undefined && compareNames(entry, after) <= 0) continue;
      if (isPrefix && prefixes.at(-1) === entry) continue;
      if (items.length + prefixes.length >= maxResults) {
        more = true;
        break;
      }
      if (isPrefix) prefixes.push(entry);
      else items.push(bucket.objects.get(name)!);
      last = entry;
    }
    return {
      kind: "storage#objects",
      ...(more && last !== undefined ? { nextPageToken: encodePageToken(last) } : {}),
      ...(prefixes.length > 0 ? { prefixes } : {}),
      ...(items.length > 0 ? { items: items.map((object) => objectResource(base, object)) } : {}),
    };
  }

  async #insert(route: Route, req: IncomingMessage, query: URLSearchParams, base: string): Promise<Reply> {
    const pre = readPreconditions(query);
    const body = await readAll(req);
    let resource: Record<string, unknown> = {};
    let media = body;
    if (query.get("uploadType") === "multipart") {
      const parsed = parseMultipartRelated(req.headers["content-type"], body);
      resource = parsed.metadata;
      media = parsed.media;
      if (resource.contentType === undefined && parsed.mediaType !== undefined)
        resource.contentType = parsed.mediaType;
    } else if (req.headers["content-type"] !== undefined) {
      resource.contentType = req.headers["content-type"];
    }
    const name = checkObjectName(route.object ?? (typeof resource.name === "string" ? resource.name : null));
    this.state.bucket(route.bucket!);
    const object = this.state.commitObject(route.bucket!, name, [media], resource, pre);
    return { status: 200, json: objectResource(base, object) };
  }

  async #startResumable(
    route: Route,
    req: IncomingMessage,
    query: URLSearchParams,
    base: string,
  ): Promise<Reply> {
    const pre = readPreconditions(query);
    const text = await readAll(req);
    const resource = text.length === 0 ? {} : parseJson(text);
    const name = checkObjectName(route.object ?? (typeof resource.name === "string" ? resource.name : null));
    const bucket = this.state.bucket(route.bucket!);
    // A precondition that already fails is reported at once; it is checked again at the end.
    checkPreconditions(bucket.objects.get(name), pre);
    const uploadType = req.headers["x-upload-content-type"];
    if (typeof uploadType === "string" && resource.contentType === undefined)
      resource.contentType = uploadType;
    const lengthHeader = req.headers["x-upload-content-length"];
    const total =
      typeof lengthHeader === "string" && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    const id = `fixture-${this.#nextSession++}-${Math.random().toString(36).slice(2)}`;
    this.#sessions.set(id, { bucket: bucket.name, name, resource, pre, chunks: [], received: 0, total });
    const location = new URL(`${base}/upload/storage/v1/b/${encodeURIComponent(bucket.name)}/o`);
    location.searchParams.set("uploadType", "resumable");
    location.searchParams.set("name", name);
    location.searchParams.set("upload_id", id);
    return { status: 200, headers: { Location: location.href, "X-GUploader-UploadID": id } };
  }

  async #putResumable(
    session: UploadSession,
    range: ContentRange,
    req: IncomingMessage,
    base: string,
  ): Promise<Reply> {
    if (session.object !== undefined) {
      await drain(req);
      return { status: 200, json: objectResource(base, session.object) };
    }
    if (session.failure !== undefined) {
      await drain(req);
      throw session.failure;
    }
    if (range.total !== undefined) {
      if (session.total !== undefined && session.total !== range.total)
        throw invalid(`Content-Range total ${range.total} differs from the upload's ${session.total}.`);
      session.total = range.total;
    }
    if ("first" in range) {
      if (range.first > session.received) {
        await drain(req);
        throw invalid(
          `Content-Range starts at ${range.first}, beyond the ${session.received} bytes persisted.`,
        );
      }
      const pieces: Buffer[] = [];
      let length = 0;
      for await (const piece of req as AsyncIterable<Buffer>) {
        pieces.push(piece);
        length += piece.length;
      }
      const last = range.last ?? range.first + length - 1;
      if (length !== last - range.first + 1)
        throw invalid(`Content-Range ${range.first}-${range.last} does not match the ${length} bytes sent.`);
      if (range.last === undefined) {
        if (session.total !== undefined && session.total !== last + 1)
          throw invalid(`The upload's ${session.total} bytes do not match the ${last + 1} sent.`);
        session.total = last + 1;
      }
      const final = session.total !== undefined && last + 1 === session.total;
      // Only whole 256 KiB units of a non-final chunk are persisted; the client resends the rest.
      const end = final ? last + 1 : Math.floor((last + 1) / RESUMABLE_QUANTUM) * RESUMABLE_QUANTUM;
      appendRange(session, pieces, range.first, end);
    } else {
      await drain(req);
    }
    if (session.total !== undefined && session.received === session.total) {
      try {
        session.object = this.state.commitObject(
          session.bucket,
          session.name,
          session.chunks,
          session.resource,
          session.pre,
        );
      } catch (error) {
        if (error instanceof GcsHttpError) session.failure = error;
        throw error;
      }
      return { status: 200, json: objectResource(base, session.object) };
    }
    return {
      status: 308,
      headers: session.received > 0 ? { Range: `bytes=0-${session.received - 1}` } : {},
    };
  }

  async #control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (url.pathname === "/__fixture/faults" && req.method === "POST") {
        this.faults.add(parseJson(await readAll(req)) as unknown as FaultSpec);
        return void (await send(res, { status: 204 }, false));
      }
      if (url.pathname === "/__fixture/faults" && req.method === "DELETE") {
        this.faults.clear();
        return void (await send(res, { status: 204 }, false));
      }
      if (url.pathname === "/__fixture/faults" && req.method === "GET")
        return void (await send(res, { status: 200, json: { fired: this.faults.fired } }, false));
      if (url.pathname === "/__fixture/requests" && req.method === "GET") {
        const bucket = url.searchParams.get("bucket");
        const records = this.requests.filter((record) => bucket === null || record.bucket === bucket);
        return void (await send(res, { status: 200, json: { requests: records } }, false));
      }
      throw new GcsHttpError(404, "notFound", `No fixture control at ${url.pathname}`);
    } catch (error) {
      await drain(req);
      sendError(res, error);
    }
  }
}

function opt(object: string | undefined): { object?: string } {
  return object === undefined ? {} : { object };
}

function isStatusFault(fault: FaultAction | undefined): fault is { status: number } {
  return typeof fault === "object";
}

function parseContentRange(header: string | undefined): ContentRange {
  const match = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(header?.trim() ?? "");
  if (match === null) throw invalid(`Invalid Content-Range for a resumable upload: ${header ?? "(none)"}`);
  const total = match[3] === "*" ? undefined : Number(match[3]);
  if (match[1] === undefined) return { total };
  const first = Number(match[1]);
  // "a-*": the rest of the object is this request's whole body (the SDK's single-request mode).
  if (match[2] === "*") return { first, last: undefined, total };
  const last = Number(match[2]);
  if (last < first || (total !== undefined && last >= total))
    throw invalid(`Invalid Content-Range for a resumable upload: ${header}`);
  return { first, last, total };
}

function isFinalizing(session: UploadSession, range: ContentRange): boolean {
  if ("first" in range && range.last === undefined) return true;
  const total = range.total ?? session.total;
  if (total === undefined) return false;
  if (!("first" in range)) return session.received === total;
  return range.last === undefined || range.last + 1 === total;
}

/** Appends the bytes of [from, to) held by `pieces` (which start at `start`) past what is persisted. */
function appendRange(session: UploadSession, pieces: readonly Buffer[], start: number, to: number): void {
  let offset = start;
  for (const piece of pieces) {
    const pieceEnd = offset + piece.length;
    const from = Math.max(offset, session.received);
    const until = Math.min(pieceEnd, to);
    if (until > from) {
      session.chunks.push(piece.subarray(from - offset, until - offset));
      session.received = until;
    }
    offset = pieceEnd;
  }
}

function mediaReply(object: StoredObject, rangeHeader: string | undefined): Reply {
  const headers: Record<string, string> = {
    "Content-Type": object.contentType,
    "x-goog-generation": String(object.generation),
    "x-goog-metageneration": String(object.metageneration),
    "x-goog-stored-content-length": String(object.size),
    "x-goog-stored-content-encoding": "identity",
    "x-goog-hash": `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    "Last-Modified": object.timeCreated.toUTCString(),
    ETag: `"${object.md5Hash}"`,
    "Accept-Ranges": "bytes",
  };
  if (rangeHeader === undefined)
    return { status: 200, headers, media: { object, start: 0, end: object.size } };
  const match = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
  if (match === null || (match[1] === "" && match[2] === ""))
    return { status: 200, headers, media: { object, start: 0, end: object.size } };
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, object.size - Number(match[2]));
    end = object.size;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? object.size : Math.min(Number(match[2]) + 1, object.size);
  }
  if (start >= object.size && object.size > 0)
    throw new GcsHttpError(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
  headers["Content-Range"] = `bytes ${start}-${Math.max(start, end - 1)}/${object.size}`;
  return { status: 206, headers, media: { object, start, end } };
}

function errorReply(error: unknown): Reply {
  const http = error instanceof GcsHttpError ? error : backendError(500);
  return { status: http.status, json: http.body() };
}

function sendError(res: ServerResponse, error: unknown): void {
  void send(res, errorReply(error), false);
}

async function send(res: ServerResponse, reply: Reply, headOnly: boolean): Promise<void> {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.json !== undefined) {
    const text = Buffer.from(JSON.stringify(reply.json));
    headers["Content-Type"] = "application/json; charset=UTF-8";
    headers["Content-Length"] = String(text.length);
    res.writeHead(reply.status, headers);
    res.end(headOnly ? undefined : text);
    return;
  }
  if (reply.media === undefined) {
    headers["Content-Length"] = "0";
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const { object, start, end } = reply.media;
  headers["Content-Length"] = String(end - start);
  res.writeHead(reply.status, headers);
  if (headOnly) return void res.end();
  let offset = 0;
  for (const chunk of object.chunks) {
    const chunkEnd = offset + chunk.length;
    const from = Math.max(start, offset);
    const until = Math.min(end, chunkEnd);
    if (until > from && !res.write(chunk.subarray(from - offset, until - offset))) {
      await drainOrClose(res);
      if (res.destroyed) return;
    }
    offset = chunkEnd;
  }
  res.end();
}

/** Waits for `drain` or `close`, removing both listeners (events.once would leave one behind). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of req as AsyncIterable<Buffer>) pieces.push(piece);
  return Buffer.concat(pieces);
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  await Promise.race([once(req, "end"), once(req, "close")]).catch(() => undefined);
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new GcsHttpError(400, "parseError", "Parse Error");
}

function encodePageToken(name: string): string {
  return Buffer.from(name, "utf8").toString("base64url");
}

function decodePageToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid("Invalid pageToken.");
  return Buffer.from(token, "base64url").toString("utf8");
}
