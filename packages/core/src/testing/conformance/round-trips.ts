import { describe, expect, it } from "vitest";
import { NotFoundError, StoreError } from "../../errors.js";
import type { ObjectInfo } from "../../store/types.js";
import { LARGE_TIMEOUT, SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import {
  asyncChunks,
  chunked,
  collect,
  expectSameBytes,
  expectStreamBytes,
  failureOf,
  patternBytes,
  utf8,
} from "./support.js";

const MiB = 1024 * 1024;

function expectInfo(info: ObjectInfo, key: string, size: number): void {
  expect(info.key).toBe(key);
  expect(info.size).toBe(size);
  expect(typeof info.version).toBe("string");
  expect(info.version.length).toBeGreaterThan(0);
  expect(info.lastModified).toBeInstanceOf(Date);
  expect(Number.isNaN(info.lastModified.getTime())).toBe(false);
}

/** Bodies in every accepted form, object info, missing keys, versions, `maxBytes`. */
export function roundTripTests(ctx: SuiteContext): void {
  const skipLarge = ctx.options.skip?.largeBodies === true;

  describe("round trips", () => {
    it(
      "round-trips an empty body",
      async () => {
        const store = await ctx.fresh();
        const put = await store.put("empty/object", new Uint8Array(0));
        expectInfo(put, "empty/object", 0);
        const got = await store.get("empty/object");
        expect(got.bytes.byteLength).toBe(0);
        expectInfo(got.info, "empty/object", 0);
        expect((await store.head("empty/object"))?.size).toBe(0);
        expect((await collect((await store.getStream("empty/object")).stream)).byteLength).toBe(0);
      },
      SMALL_TIMEOUT,
    );

    it(
      "round-trips a small body; put, head and get agree on the object's info",
      async () => {
        const store = await ctx.fresh();
        const body = utf8("hello, checkpoint");
        const put = await store.put("runs/a/hello.txt", body);
        expectInfo(put, "runs/a/hello.txt", body.byteLength);
        const head = await store.head("runs/a/hello.txt");
        expect(head).toBeDefined();
        expectInfo(head!, "runs/a/hello.txt", body.byteLength);
        expect(head!.version).toBe(put.version);
        const got = await store.get("runs/a/hello.txt");
        expectSameBytes(got.bytes, body);
        expect(got.info.version).toBe(put.version);
        expect(got.info.size).toBe(body.byteLength);
      },
      SMALL_TIMEOUT,
    );

    it(
      "accepts a list of chunks (with empty chunks) and an async iterable as the body",
      async () => {
        const store = await ctx.fresh();
        const body = patternBytes(300_001, 7);
        const parts = [
          body.subarray(0, 1),
          new Uint8Array(0),
          body.subarray(1, 200_000),
          body.subarray(200_000),
        ];
        const fromList = await store.put("bodies/list", parts);
        expectInfo(fromList, "bodies/list", body.byteLength);
        expectSameBytes((await store.get("bodies/list")).bytes, body, "chunk-list body");

        const fromIterable = await store.put("bodies/iterable", asyncChunks(chunked(body, 65_536)));
        expectInfo(fromIterable, "bodies/iterable", body.byteLength);
        expectSameBytes((await store.get("bodies/iterable")).bytes, body, "async-iterable body");

        const withSize = await store.put("bodies/sized", asyncChunks(chunked(body, 100_000)), {
          size: body.byteLength,
        });
        expect(withSize.size).toBe(body.byteLength);
        expectSameBytes((await store.get("bodies/sized")).bytes, body, "sized async-iterable body");
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skipLarge)(
      "round-trips 64 MiB as one array and as a stream of chunks (get and getStream)",
      async () => {
        const store = await ctx.fresh();
        const body = patternBytes(64 * MiB, 64);
        const put = await store.put("large/one-array.bin", body);
        expectInfo(put, "large/one-array.bin", body.byteLength);
        const got = await store.get("large/one-array.bin");
        expectSameBytes(got.bytes, body, "64 MiB get");
        expect(got.info.size).toBe(body.byteLength);

        const streamed = await store.put("large/streamed.bin", asyncChunks(chunked(body, 4 * MiB)), {
          size: body.byteLength,
        });
        expectInfo(streamed, "large/streamed.bin", body.byteLength);
        const { info, stream } = await store.getStream("large/streamed.bin");
        expectInfo(info, "large/streamed.bin", body.byteLength);
        await expectStreamBytes(stream, body);
      },
      LARGE_TIMEOUT,
    );

    it(
      "getStream returns the info and the bytes",
      async () => {
        const store = await ctx.fresh();
        const body = patternBytes(3 * MiB + 17, 3);
        const put = await store.put("stream/me", body);
        const { info, stream } = await store.getStream("stream/me");
        expect(info.version).toBe(put.version);
        expect(info.size).toBe(body.byteLength);
        await expectStreamBytes(stream, body);
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(ctx.options.skip?.chunkCallback === true)(
      "get hands onChunk pieces, in order, that make up exactly the bytes it returns",
      async () => {
        const store = await ctx.fresh();
        const body = patternBytes(9 * MiB + 5, 11);
        await store.put("pieces/object", chunked(body, 3 * MiB + 1));
        let pieces: { offset: number; bytes: Uint8Array }[] = [];
        const { bytes } = await store.get("pieces/object", {
          onChunk: (chunk, offset) => {
            // A read started over begins again at 0: only the last pass counts.
            if (offset === 0) pieces = [];
            pieces.push({ offset, bytes: chunk.slice() });
          },
        });
        expectSameBytes(bytes, body);
        expect(pieces.length).toBeGreaterThan(0);
        let next = 0;
        for (const piece of pieces) {
          expect(piece.offset).toBe(next);
          next += piece.bytes.byteLength;
        }
        expect(next).toBe(body.byteLength);
        expectSameBytes(Buffer.concat(pieces.map((piece) => piece.bytes)), body, "the pieces");

        let seen = 0;
        await store.put("pieces/empty", new Uint8Array(0));
        const empty = await store.get("pieces/empty", {
          onChunk: (chunk) => {
            seen += chunk.byteLength;
          },
        });
        expect(empty.bytes.byteLength).toBe(0);
        expect(seen).toBe(0);
      },
      LARGE_TIMEOUT,
    );

    it(
      "a missing key: head is undefined, get and getStream reject with NotFoundError naming the key",
      async () => {
        const store = await ctx.fresh();
        await store.put("present/x", utf8("x"));
        expect(await store.head("present/y")).toBeUndefined();
        expect(await store.head("absent")).toBeUndefined();
        for (const read of [() => store.get("present/y"), () => store.getStream("absent/deeper/key")]) {
          const error = await failureOf(read);
          expect(error).toBeInstanceOf(NotFoundError);
          expect((error as NotFoundError).code).toBe("E_NOT_FOUND");
        }
        const error = (await failureOf(() => store.get("present/y"))) as NotFoundError;
        expect(error.key).toBe("present/y");
        expect(error.message).toContain("present/y");
      },
      SMALL_TIMEOUT,
    );

    it(
      "an overwrite replaces bytes, size and version",
      async () => {
        const store = await ctx.fresh();
        const first = await store.put("over/write", patternBytes(1000, 1));
        const second = await store.put("over/write", utf8("short"));
        expect(second.version).not.toBe(first.version);
        const got = await store.get("over/write");
        expectSameBytes(got.bytes, utf8("short"));
        expect(got.info.size).toBe(5);
        expect(got.info.version).toBe(second.version);
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(ctx.options.quirks?.contentHashVersions === true)(
      "the version changes on every put, even with identical bytes put back to back",
      async () => {
        const store = await ctx.fresh();
        const body = utf8("same bytes");
        const versions: string[] = [];
        for (let i = 0; i < 5; i++) versions.push((await store.put("same/bytes", body)).version);
        expect(new Set(versions).size).toBe(versions.length);
        expect((await store.head("same/bytes"))?.version).toBe(versions.at(-1));
      },
      SMALL_TIMEOUT,
    );

    it(
      "keys with spaces, punctuation and non-ASCII characters round-trip",
      async () => {
        const store = await ctx.fresh();
        const keys = [
          "with space/file name.txt",
          "ünïcödé/日本語.bin",
          "punct/a-b_c.d~e(1)[2]'3'!",
          "query-like/x=1&y=2+z@host,;",
          "percent/100%25 done#frag",
        ];
        for (const key of keys) await store.put(key, utf8(key));
        for (const key of keys) {
          expectSameBytes((await store.get(key)).bytes, utf8(key), key);
          expect((await store.head(key))?.key).toBe(key);
        }
        const listed: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list("", { cursor });
          listed.push(...page.items.map((item) => item.key));
          cursor = page.cursor;
        } while (cursor !== undefined);
        expect(new Set(listed)).toEqual(new Set(keys));
      },
      SMALL_TIMEOUT,
    );

    it(
      "maxBytes: get and getStream refuse a larger object with E_TOO_LARGE and accept an equal size",
      async () => {
        const store = await ctx.fresh();
        const body = patternBytes(10_000, 5);
        await store.put("bounded/object", body);
        for (const read of [
          () => store.get("bounded/object", { maxBytes: 9_999 }),
          () => store.getStream("bounded/object", { maxBytes: 100 }),
        ]) {
          const error = await failureOf(read);
          expect(error).toBeInstanceOf(StoreError);
          expect((error as StoreError).code).toBe("E_TOO_LARGE");
        }
        expectSameBytes((await store.get("bounded/object", { maxBytes: 10_000 })).bytes, body);
        await expectStreamBytes((await store.getStream("bounded/object", { maxBytes: 10_000 })).stream, body);
      },
      SMALL_TIMEOUT,
    );
  });
}
