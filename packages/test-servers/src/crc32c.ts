// TEST FIXTURE support: CRC-32C (Castagnoli), the checksum Cloud Storage reports as `crc32c`
// (base64 of the big-endian 32-bit value). Slicing-by-8 so that 512 MiB bodies stay fast.

const POLY = 0x82f63b78;
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    for (let k = 1; k < 8; k++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      tables[k]![n] = c >>> 0;
    }
  }
  return tables;
})();

/** Incremental CRC-32C. */
export class Crc32c {
  #crc = 0xffffffff;

  update(bytes: Uint8Array): this {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
    ];
    let crc = this.#crc;
    let i = 0;
    const end8 = bytes.length - (bytes.length % 8);
    for (; i < end8; i += 8) {
      const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc;
      crc =
        t7[a & 0xff]! ^
        t6[(a >>> 8) & 0xff]! ^
        t5[(a >>> 16) & 0xff]! ^
        t4[a >>> 24]! ^
        t3[bytes[i + 4]!]! ^
        t2[bytes[i + 5]!]! ^
        t1[bytes[i + 6]!]! ^
        t0[bytes[i + 7]!]!;
    }
    for (; i < bytes.length; i++) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc >>> 0;
    return this;
  }

  /** The checksum as an unsigned 32-bit number. */
  value(): number {
    return (this.#crc ^ 0xffffffff) >>> 0;
  }

  /** The checksum as Cloud Storage reports it: base64 of the 4 big-endian bytes. */
  base64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value());
    return out.toString("base64");
  }
}
