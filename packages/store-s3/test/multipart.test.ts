import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { StoreAbortedError, type StoreError } from "@ckpt/core";
import { radosgw, radosgwClient } from "@ckpt/test-servers/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../src/index.js";
import { failure } from "./support/proxied.js";
import { emptyStore, uniquePrefix } from "./support/stores.js";

const MiB = 1024 * 1024;

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

// Small threshold and parts (S3's 5 MiB minimum) so multipart paths run on modest bodies.
describe("multipart uploads on radosgw", () => {
  const client = radosgwClient();
  let store: S3Store;
  beforeAll(() => {
    store = new S3Store({
      client,
      bucket: radosgw().bucket,
      prefix: uniquePrefix("multipart"),
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      partConcurrency: 2,
    });
  });
  afterAll(async () => {
    await emptyStore(store);
    await store.close();
    client.destroy();
  });

  it("a chunk list whose chunks straddle part boundaries round-trips (npy-like header + data + tail)", async () => {
    const body = pattern(13 * MiB + 333, 1);
    const chunks = [
      body.subarray(0, 128),
      body.subarray(128, 7 * MiB + 5),
      new Uint8Array(0),
      body.subarray(7 * MiB + 5),
    ];
    const put = await store.put("chunks.bin", chunks);
    expect(put.size).toBe(body.byteLength);
    expect(put.version).toMatch(/-3"?$/);
    expect(same((await store.get("chunks.bin")).bytes, body)).toBe(true);
  });

  it("an npy-like [header, typed-array view] body round-trips byte-exactly with the boundary inside the first part", async () => {
    // The array is a view at an offset into a larger buffer, as a sliced state tensor would be.
    const backing = new Float64Array(2 * MiB);
    for (let i = 0; i < backing.length; i++) backing[i] = i * 1.5 - 7;
    const data = backing.subarray(3, 3 + (11 * MiB + 40) / 8);
    const header = new TextEncoder().encode(`\x93NUMPY${" ".repeat(120)}\n`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const put = await store.put("npy.bin", [header, bytes]);
    const expected = new Uint8Array(header.byteLength + bytes.byteLength);
    expected.set(header);
    expected.set(bytes, header.byteLength);
    expect(put.size).toBe(expected.byteLength);
    expect(put.version).toMatch(/-3"?$/); // 5 MiB + 5 MiB + the rest
    const got = await store.get("npy.bin");
    expect(got.info.version).toBe(put.version);
    expect(same(got.bytes, expected)).toBe(true);
    // The caller's arrays are left as they were.
    expect(backing[3]).toBe(3 * 1.5 - 7);
  });

  it("a single array above the threshold round-trips, and one that fits in one part goes as one PutObject", async () => {
    const body = pattern(10 * MiB + 1, 3);
    const put = await store.put("array.bin", body);
    expect(put.version).toMatch(/-3"?$/);
    expect(same((await store.get("array.bin")).bytes, body)).toBe(true);
    const wide = new S3Store({
      client,
      bucket: store.bucket,
      prefix: store.prefix,
      multipartThreshold: 5 * MiB,
      partSize: 8 * MiB,
    });
    const small = pattern(6 * MiB, 4);
    const one = await wide.put("one-part.bin", [small.subarray(0, 100), small.subarray(100)]);
    expect(one.version).not.toMatch(/-\d+"?$/);
    expect(same((await store.get("one-part.bin")).bytes, small)).toBe(true);
  });

  it("a streamed body shorter than its declared size is refused and leaves no upload or object", async () => {
    async function* produce(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 4; i++) yield pattern(3 * MiB, i);
    }
    const error = (await failure(() => store.put("short.bin", produce(), { size: 13 * MiB }))) as StoreError;
    expect(error.code).toBe("E_INVALID_ARGUMENT");
    expect(error.key).toBe("short.bin");
    expect(await store.head("short.bin")).toBeUndefined();
    const uploads = await client.send(
      new ListMultipartUploadsCommand({ Bucket: store.bucket, Prefix: `${store.prefix}/short.bin` }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it("an async iterable of unknown size that passes the threshold streams as multipart", async () => {
    const body = pattern(11 * MiB + 7, 2);
    async function* produce(): AsyncIterable<Uint8Array> {
      for (let offset = 0; offset < body.byteLength; offset += 3 * MiB)
        yield body.subarray(offset, offset + 3 * MiB);
    }
    const put = await store.put("stream.bin", produce());
    expect(put.size).toBe(body.byteLength);
    expect((await store.head("stream.bin"))?.version).toBe(put.version);
    expect(same((await store.get("stream.bin")).bytes, body)).toBe(true);
  });

  it("a precondition on an async iterable that turns out larger than the threshold is refused before sending", async () => {
    let pulled = 0;
    async function* produce(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 4; i++) {
        pulled++;
        yield pattern(2 * MiB, i);
      }
    }
    const error = (await failure(() =>
      store.put("refused.bin", produce(), { ifNoneMatch: "*" }),
    )) as StoreError;
    expect(error.code).toBe("E_PRECONDITION_UNSUPPORTED");
    expect(error.key).toBe("refused.bin");
    expect(pulled).toBeLessThanOrEqual(3); // stopped right after passing 5 MiB
    expect(await store.head("refused.bin")).toBeUndefined();
  });

  it("aborting during a multipart upload rejects with StoreAbortedError, keeps the old object and leaves no upload", async () => {
    const old = await store.put("aborted.bin", new TextEncoder().encode("old"));
    const controller = new AbortController();
    async function* produce(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 8; i++) {
        // Abort once parts are on their way.
        if (i === 3) controller.abort();
        yield pattern(3 * MiB, i);
      }
    }
    const error = await failure(() => store.put("aborted.bin", produce(), { signal: controller.signal }));
    expect(error).toBeInstanceOf(StoreAbortedError);
    const after = await store.get("aborted.bin");
    expect(new TextDecoder().decode(after.bytes)).toBe("old");
    expect(after.info.version).toBe(old.version);
    // The store aborts the multipart upload once its in-flight parts settle.
    const key = `${store.prefix}/aborted.bin`;
    let open = 1;
    for (let attempt = 0; attempt < 100 && open > 0; attempt++) {
      const uploads = await client.send(
        new ListMultipartUploadsCommand({ Bucket: store.bucket, Prefix: key }),
      );
      open = uploads.Uploads?.length ?? 0;
      if (open > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(open).toBe(0);
  });
});
