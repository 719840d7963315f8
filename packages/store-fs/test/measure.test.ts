import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listAllArray } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";

// Numbers to compare changes of the put path by. Logged, never asserted: machines differ.
const MiB = 1024 * 1024;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

describe("FsStore measurements (logged, real disk)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-fs-measure-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("64 MiB put, get and getStream", async () => {
    const store = new FsStore({ root });
    const body = new Uint8Array(64 * MiB);
    for (let i = 0; i < body.length; i += 4096) body[i] = i & 0xff;
    let start = process.hrtime.bigint();
    await store.put("big/object", body);
    const put = seconds(start);
    start = process.hrtime.bigint();
    const { bytes } = await store.get("big/object");
    const get = seconds(start);
    start = process.hrtime.bigint();
    let streamed = 0;
    for await (const chunk of (await store.getStream("big/object")).stream) streamed += chunk.byteLength;
    const stream = seconds(start);
    expect(Buffer.from(bytes).equals(body)).toBe(true);
    expect(streamed).toBe(body.byteLength);
    console.log(
      `FsStore disk, 64 MiB: put ${(put * 1000).toFixed(0)} ms (${(64 / put).toFixed(0)} MiB/s, fsync included), ` +
        `get ${(get * 1000).toFixed(0)} ms (${(64 / get).toFixed(0)} MiB/s), ` +
        `getStream ${(stream * 1000).toFixed(0)} ms (${(64 / stream).toFixed(0)} MiB/s)`,
    );
  });

  it("keys listed per second", async () => {
    const store = new FsStore({ root: join(root, "many"), durable: false });
    const keys = Array.from(
      { length: 5000 },
      (_, i) => `runs/r${i % 10}/commits/c${String(i).padStart(5, "0")}`,
    );
    let start = process.hrtime.bigint();
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, new Uint8Array(16))));
    const putSeconds = seconds(start);
    start = process.hrtime.bigint();
    const listed = await listAllArray(store, "");
    const listSeconds = seconds(start);
    expect(listed).toHaveLength(keys.length);
    const durable = new FsStore({ root: join(root, "durable") });
    start = process.hrtime.bigint();
    for (let i = 0; i < 200; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          durable.put(`k/${i + j}`, new Uint8Array(16), { ifNoneMatch: "*" }),
        ),
      );
    const durableSeconds = seconds(start);
    console.log(
      `FsStore disk: listed ${keys.length} keys (10 folders, pages of 1000) in ${(listSeconds * 1000).toFixed(0)} ms = ` +
        `${(keys.length / listSeconds).toFixed(0)} keys/s; small puts ${(keys.length / putSeconds).toFixed(0)}/s ` +
        `without fsync, ${(200 / durableSeconds).toFixed(0)}/s create-only with fsync`,
    );
  });
});
