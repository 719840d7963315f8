import { StoreAbortedError } from "@ckpt/core";
import { beforeAll, describe, expect, it } from "vitest";
import type { GcsStore } from "../src/index.js";
import { fixtureStore } from "./support/stores.js";

const MiB = 1024 * 1024;

/** 4 MiB that differ from byte to byte, so a misplaced piece shows. */
function pattern(): Uint8Array {
  const bytes = new Uint8Array(4 * MiB);
  for (let i = 0; i < bytes.byteLength; i++) bytes[i] = (i * 31 + (i >>> 12)) & 0xff;
  return bytes;
}

describe("GcsStore.get reading a download", () => {
  let store: GcsStore;
  const body = pattern();
  beforeAll(async () => {
    store = await fixtureStore();
    await store.put("arrays/big.npy", body);
  });

  it("hands every piece over in order at its place in the result, and the result is the object", async () => {
    const seen: Array<{ offset: number; bytes: Uint8Array }> = [];
    const { bytes } = await store.get("arrays/big.npy", {
      onChunk: (chunk, offset) => seen.push({ offset, bytes: chunk.slice() }),
    });
    expect(Buffer.from(bytes).equals(Buffer.from(body))).toBe(true);
    let next = 0;
    for (const piece of seen) {
      expect(piece.offset).toBe(next);
      expect(
        Buffer.from(piece.bytes).equals(Buffer.from(body.subarray(next, next + piece.bytes.byteLength))),
      ).toBe(true);
      next += piece.bytes.byteLength;
    }
    expect(next).toBe(body.byteLength);
  });

  it("an abort while the download arrives ends the get with StoreAbortedError naming the key", async () => {
    const controller = new AbortController();
    const error = await store
      .get("arrays/big.npy", {
        signal: controller.signal,
        onChunk: () => controller.abort(new Error("enough")),
      })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(StoreAbortedError);
    expect((error as StoreAbortedError).key).toBe("arrays/big.npy");
  });

  it("an onChunk that throws ends the get with its error", async () => {
    const failure = new Error("the caller's digest failed");
    await expect(
      store.get("arrays/big.npy", {
        onChunk: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
  });
});
