import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { PreconditionFailedError } from "@ckpt/core";
import { conditionalPut, type FaultProxy } from "@ckpt/test-servers";
import { beforeAll, describe, expect, it } from "vitest";
import type { S3Store } from "../src/index.js";
import { failure, useFaultProxy } from "./support/proxied.js";

const MiB = 1024 * 1024;

/** An npy-like body: a 128-byte header and a view into the middle of a larger array. */
function npyLike(seed: number): { chunks: Uint8Array[]; joined: Uint8Array } {
  const header = new Uint8Array(128).fill(0x20 + seed);
  const backing = new Float32Array(MiB / 2 + 64);
  for (let i = 0; i < backing.length; i++) backing[i] = i * 0.25 + seed;
  const data = backing.subarray(16, 16 + MiB / 2);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const joined = new Uint8Array(header.byteLength + bytes.byteLength);
  joined.set(header);
  joined.set(bytes, header.byteLength);
  return { chunks: [header, bytes], joined };
}

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
const bare = (etag: string) => etag.replace(/^"(.*)"$/, "$1");

// A chunk list up to the multipart threshold goes as one PutObject whose body streams the chunks
// (not joined), with its CRC-32 and SHA-256 computed over them.
describe("single puts of chunk lists, through a fault-injecting proxy", () => {
  const proxied = useFaultProxy();
  const { puts } = proxied;
  let proxy: FaultProxy;
  let store: S3Store;
  beforeAll(() => {
    proxy = proxied.proxy();
    store = proxied.store("chunked-put");
  });

  it("round-trips byte-exactly with a signed payload hash and a CRC-32 header (no aws-chunked encoding); ETag is the MD5", async () => {
    const { chunks, joined } = npyLike(1);
    const put = await store.put("npy", chunks);
    expect(put.size).toBe(joined.byteLength);
    expect(bare(put.version)).toBe(md5(joined));
    const got = await store.get("npy");
    expect(Buffer.from(got.bytes).equals(Buffer.from(joined))).toBe(true);
    const [sent] = puts();
    expect(sent?.headers["content-length"]).toBe(String(joined.byteLength));
    expect(sent?.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(joined).digest("hex"));
    expect(sent?.headers["x-amz-checksum-crc32"]).toBe(crc32Base64(joined));
    expect(sent?.headers["content-encoding"]).toBeUndefined();
  });

  it("a one-array put carries the CRC-32 of its bytes, summed by the store, as the SDK would send it", async () => {
    const { joined } = npyLike(5);
    const put = await store.put("one-array", joined);
    expect(bare(put.version)).toBe(md5(joined));
    const sent = puts().find((request) => request.path.includes("/one-array"));
    expect(sent?.headers["x-amz-checksum-crc32"]).toBe(crc32Base64(joined));
    expect(sent?.headers["content-encoding"]).toBeUndefined();
    expect(Buffer.from((await store.get("one-array")).bytes).equals(Buffer.from(joined))).toBe(true);
  });

  it("conditional puts of chunk lists: create-only and ifMatch hold, and each is sent once", async () => {
    const first = npyLike(2);
    const created = await store.put("cond", first.chunks, { ifNoneMatch: "*" });
    expect(bare(created.version)).toBe(md5(first.joined));
    expect(await failure(() => store.put("cond", npyLike(3).chunks, { ifNoneMatch: "*" }))).toBeInstanceOf(
      PreconditionFailedError,
    );
    const second = npyLike(4);
    const replaced = await store.put("cond", second.chunks, { ifMatch: created.version });
    expect(bare(replaced.version)).toBe(md5(second.joined));
    expect(puts()).toHaveLength(3);
    expect(Buffer.from((await store.get("cond")).bytes).equals(Buffer.from(second.joined))).toBe(true);
  });

  it("a put the SDK retries after a 503 re-sends the whole body (the stream is made afresh per attempt)", async () => {
    const { chunks, joined } = npyLike(5);
    proxy.arm({
      match: (request) => request.method === "PUT" && request.headers["if-none-match"] === undefined,
      action: { kind: "status-before", status: 503, code: "SlowDown" },
    });
    const put = await store.put("retried", chunks);
    expect(puts()).toHaveLength(2);
    expect(bare(put.version)).toBe(md5(joined));
    expect(Buffer.from((await store.get("retried")).bytes).equals(Buffer.from(joined))).toBe(true);
  });

  it("a conditional put whose response is lost is sent once and read back as a success (MD5 over the chunks)", async () => {
    const { chunks, joined } = npyLike(6);
    proxy.arm({ match: conditionalPut("if-none-match"), action: { kind: "drop-response" } });
    const put = await store.put("lost", chunks, { ifNoneMatch: "*" });
    expect(puts()).toHaveLength(1);
    expect(bare(put.version)).toBe(md5(joined));
    expect(put.version).toBe((await store.head("lost"))?.version);
  });
});

/** A body of three chunks (header, array view, tail) and its parts' bytes for 5 MiB parts. */
function spanningBody(seed: number): { chunks: Uint8Array[]; joined: Uint8Array; parts: Uint8Array[] } {
  const header = new Uint8Array(128).fill(0x30 + seed);
  const backing = new Float64Array((7 * MiB) / 8 + 16);
  for (let i = 0; i < backing.length; i++) backing[i] = i * 0.5 - seed;
  const data = new Uint8Array(backing.buffer, 8 * 5, 7 * MiB);
  const tail = new Uint8Array(4 * MiB + 99);
  for (let i = 0; i < tail.length; i++) tail[i] = (i * 7 + seed) & 0xff;
  const chunks = [header, data, tail];
  const joined = new Uint8Array(Buffer.concat(chunks));
  const parts = [0, 1, 2].map((index) => joined.subarray(index * 5 * MiB, (index + 1) * 5 * MiB));
  return { chunks, joined, parts };
}

const crc32Base64 = (bytes: Uint8Array) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes) >>> 0);
  return out.toString("base64");
};

/** The ETag S3 and radosgw give a multipart object: MD5 of the parts' MD5s, then "-" and the count. */
const multipartEtag = (parts: readonly Uint8Array[]) =>
  `${createHash("md5")
    .update(Buffer.concat(parts.map((part) => createHash("md5").update(part).digest())))
    .digest("hex")}-${parts.length}`;

// Parts that span chunks (5 MiB parts of [128 B header, 7 MiB array view, 4 MiB tail]: part 1 is
// header + array, part 2 array + tail) stream their views instead of being joined.
describe("multipart puts whose parts span chunks, through a fault-injecting proxy", () => {
  const proxied = useFaultProxy();
  let proxy: FaultProxy;
  beforeAll(() => {
    proxy = proxied.proxy();
  });
  const storeWith = (requestChecksumCalculation: "WHEN_SUPPORTED" | "WHEN_REQUIRED") =>
    proxied.store(
      "chunked-parts",
      { multipartThreshold: 5 * MiB, partSize: 5 * MiB, partConcurrency: 2 },
      { requestChecksumCalculation },
    );

  const partPuts = (number: number) =>
    proxy.requests.filter(
      (request) => request.method === "PUT" && request.path.includes(`partNumber=${number}&`),
    );
  const partPut = (number: number) => partPuts(number).find((request) => request.fault === undefined);

  it("each part carries its own length, signed SHA-256 and CRC-32; a part retried after a 503 is re-sent whole", async () => {
    const store = storeWith("WHEN_SUPPORTED");
    const { chunks, joined, parts } = spanningBody(1);
    proxy.arm({
      match: (request) => request.method === "PUT" && request.path.includes("partNumber=2&"),
      action: { kind: "status-before", status: 503, code: "SlowDown" },
    });
    const put = await store.put("spanning.bin", chunks);
    expect(put.size).toBe(joined.byteLength);
    expect(bare(put.version)).toBe(multipartEtag(parts));
    expect(partPuts(2)).toHaveLength(2);
    parts.forEach((part, index) => {
      const sent = partPut(index + 1);
      expect(sent?.headers["content-length"]).toBe(String(part.byteLength));
      expect(sent?.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(part).digest("hex"));
      expect(sent?.headers["x-amz-checksum-crc32"]).toBe(crc32Base64(part));
      expect(sent?.headers["content-encoding"]).toBeUndefined();
    });
    const got = await store.get("spanning.bin");
    expect(got.info.version).toBe(put.version);
    expect(Buffer.from(got.bytes).equals(Buffer.from(joined))).toBe(true);
  });

  it("with checksums only when required, the spanning parts go without CRC-32 and still round-trip", async () => {
    const store = storeWith("WHEN_REQUIRED");
    const { chunks, joined, parts } = spanningBody(2);
    const put = await store.put("spanning.bin", chunks);
    expect(bare(put.version)).toBe(multipartEtag(parts));
    for (const number of [1, 2, 3]) {
      expect(partPut(number)?.headers["x-amz-checksum-crc32"]).toBeUndefined();
      expect(partPut(number)?.headers["x-amz-content-sha256"]).toBe(
        createHash("sha256")
          .update(parts[number - 1] ?? new Uint8Array(0))
          .digest("hex"),
      );
    }
    expect(Buffer.from((await store.get("spanning.bin")).bytes).equals(Buffer.from(joined))).toBe(true);
  });
});
