import { createRequire } from "node:module";
import { crc32 as zlibCrc32 } from "node:zlib";

/** A CRC-32/ISO-HDLC continued from `value` over `data`, as `zlib.crc32` computes it. */
export type Crc32Function = (data: Uint8Array, value: number) => number;

/** The CRC-32 function in use and the module it comes from. */
export interface Crc32Choice {
  readonly implementation: "@node-rs/crc32" | "node:zlib";
  readonly crc32: Crc32Function;
}

const zlib: Crc32Choice = { implementation: "node:zlib", crc32: zlibCrc32 };

/**
 * The SIMD CRC-32 of `@node-rs/crc32` (a prebuilt binary inside its npm package, 2-3 times zlib's
 * speed here) when `load()` returns it and it agrees with zlib on a probe; `node:zlib` when the
 * native module is missing or cannot load on this platform.
 */
export function chooseCrc32(load: () => unknown): Crc32Choice {
  try {
    const native = (load() as { crc32?: unknown } | null)?.crc32;
    if (typeof native !== "function") return zlib;
    const crc32 = (data: Uint8Array, value: number): number =>
      (native as (data: Uint8Array, value: number) => number)(data, value);
    const probe = new Uint8Array(1021).map((_, i) => (i * 131) & 255);
    if (crc32(probe, 12345) !== zlibCrc32(probe, 12345)) return zlib;
    return { implementation: "@node-rs/crc32", crc32 };
  } catch {
    return zlib;
  }
}

const require = createRequire(import.meta.url);

/** The CRC-32 function of this process, chosen once at load. */
export const crc32Choice: Crc32Choice = chooseCrc32(() => require("@node-rs/crc32"));
