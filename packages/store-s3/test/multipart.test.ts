import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { StoreAbortedError, type StoreError } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../src/index.js";
import { emptyStore, radosgw, radosgwClient, uniquePrefix } from "./support/stores.js";

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

async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return expect.fail("expected the call to fail");
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
    // lib-storage aborts the multipart upload once its in-flight parts settle.
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
