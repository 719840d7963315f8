import { createRequire } from "node:module";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CHECKSUM_IMPLEMENTATION, checksumOf } from "../src/checksum.js";
import { chooseCrc32 } from "../src/crc32.js";

const require = createRequire(import.meta.url);
const body = new Uint8Array(100_003).map((_, i) => (i * 7 + (i >> 8)) & 255);

describe("the CRC-32 implementation", () => {
  it("uses the native @node-rs/crc32 where it loads, with zlib's values", () => {
    expect(CHECKSUM_IMPLEMENTATION).toBe("@node-rs/crc32");
    const native = chooseCrc32(() => require("@node-rs/crc32"));
    expect(native.implementation).toBe("@node-rs/crc32");
    for (const view of [body, body.subarray(5, 77_777)])
      expect(native.crc32(view, 0xdeadbeef)).toBe(zlibCrc32(view, 0xdeadbeef));
    expect(native.crc32(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
    expect(checksumOf(body)).toBe(`crc32:${zlibCrc32(body).toString(16).padStart(8, "0")}`);
  });

  it("falls back to zlib when the native module cannot load", () => {
    const missing = chooseCrc32(() => require("@node-rs/crc32-no-such-binary"));
    expect(missing.implementation).toBe("node:zlib");
    expect(missing.crc32(body, 42)).toBe(zlibCrc32(body, 42));
  });

  it("falls back to zlib when a loaded module disagrees with zlib or exports no crc32", () => {
    expect(chooseCrc32(() => ({ crc32: () => 0 })).implementation).toBe("node:zlib");
    expect(chooseCrc32(() => ({})).implementation).toBe("node:zlib");
  });
});
