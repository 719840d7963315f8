import { createRequire } from "node:module";
import { createXXHash128 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { chooseDigest, DIGEST_IMPLEMENTATION, digestOf } from "../src/digest.js";

const require = createRequire(import.meta.url);
const body = new Uint8Array(5_000_003).map((_, i) => (i * 7 + (i >> 8)) & 255);

async function wasmDigest(pieces: readonly Uint8Array[]): Promise<string> {
  const hasher = await createXXHash128();
  hasher.init();
  for (const piece of pieces) hasher.update(piece);
  return `xxh3-128:${hasher.digest("hex")}`;
}

async function digestWith(choice: ReturnType<typeof chooseDigest>, pieces: readonly Uint8Array[]) {
  const hasher = await choice.create();
  hasher.init();
  for (const piece of pieces) hasher.update(piece);
  return `xxh3-128:${hasher.digest()}`;
}

describe("the content digest implementation", () => {
  it("uses the native xxhash-addon where it loads, with hash-wasm's digests", async () => {
    expect(DIGEST_IMPLEMENTATION).toBe("xxhash-addon");
    const native = chooseDigest(() => require("xxhash-addon"));
    expect(native.implementation).toBe("xxhash-addon");
    // Views at odd offsets, in pieces of odd sizes: the digest is of the bytes, not the buffers.
    const views = [body, body.subarray(5, 3_777_777), body.subarray(1, 2)];
    for (const view of views) {
      const pieces = [view.subarray(0, 1001), view.subarray(1001)];
      expect(await digestWith(native, pieces)).toBe(await wasmDigest([view]));
    }
    expect(await digestOf([body.subarray(0, 100), body.subarray(100)])).toBe(await wasmDigest([body]));
    expect(await digestOf([])).toBe(await wasmDigest([]));
  });

  it("falls back to hash-wasm when the native module cannot load", async () => {
    const missing = chooseDigest(() => require("xxhash-addon-no-such-binary"));
    expect(missing.implementation).toBe("hash-wasm");
    expect(await digestWith(missing, [body])).toBe(await wasmDigest([body]));
  });

  it("falls back to hash-wasm when a loaded module gives a wrong digest or exports no XXHash128", () => {
    class Wrong {
      update() {}
      reset() {}
      digest() {
        return Buffer.alloc(16);
      }
    }
    expect(chooseDigest(() => ({ XXHash128: Wrong })).implementation).toBe("hash-wasm");
    expect(chooseDigest(() => ({})).implementation).toBe("hash-wasm");
  });
});
