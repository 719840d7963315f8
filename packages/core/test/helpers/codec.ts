import { decodeValue, type EncodedBlob, type EncodedValue, encodeValue, type JsonValue } from "@ckpt/core";

/**
 * The first difference between two values under the codec's notion of exactness (Object.is for
 * numbers, same class for typed arrays with bit-identical bytes, same key order and own-property
 * layout, plain prototype, Map entry order), as a path; undefined when they are the same.
 */
export function exactDiff(a: unknown, b: unknown, path = "value"): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (typeof a !== "object" || a === null || b === null)
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  const pa = Object.getPrototypeOf(a);
  const pb = Object.getPrototypeOf(b);
  // A null-prototype object decodes as a plain object (documented).
  const plain = (p: unknown) => (p === null ? Object.prototype : p);
  if (plain(pa) !== plain(pb))
    return `${path}: prototype ${pa?.constructor?.name} vs ${pb?.constructor?.name}`;
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown> & ArrayBufferView;
    const y = b as unknown as ArrayLike<unknown> & ArrayBufferView;
    if (x.length !== y.length) return `${path}: length ${x.length} vs ${y.length}`;
    const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    for (let k = 0; k < bx.length; k++) if (bx[k] !== by[k]) return `${path}: byte ${k} differs`;
    return undefined;
  }
  if (a instanceof Date)
    return Object.is(a.getTime(), (b as Date).getTime()) ? undefined : `${path}: date differs`;
  if (a instanceof Map) {
    const ea = [...a];
    const eb = [...(b as Map<unknown, unknown>)];
    if (ea.length !== eb.length) return `${path}: map size ${ea.length} vs ${eb.length}`;
    for (let k = 0; k < ea.length; k++) {
      if (ea[k]![0] !== eb[k]![0])
        return `${path}: map key #${k} ${String(ea[k]![0])} vs ${String(eb[k]![0])}`;
      const d = exactDiff(ea[k]![1], eb[k]![1], `${path}.get(${JSON.stringify(ea[k]![0])})`);
      if (d) return d;
    }
    return undefined;
  }
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b as object);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i]))
    return `${path}: keys ${JSON.stringify(ka.map(String))} vs ${JSON.stringify(kb.map(String))}`;
  for (const key of ka) {
    const da = Object.getOwnPropertyDescriptor(a, key)!;
    const db = Object.getOwnPropertyDescriptor(b, key)!;
    if (da.enumerable !== db.enumerable) return `${path}.${String(key)}: enumerability differs`;
    if (Array.isArray(a) && key === "length") continue;
    const d = exactDiff(da.value, db.value, `${path}.${String(key)}`);
    if (d) return d;
  }
  return undefined;
}

/** Concatenates a blob's chunks into one Uint8Array starting `offset` bytes into a fresh buffer. */
export function blobBytes(blob: EncodedBlob, offset = 0): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(blob.size + offset), offset, blob.size);
  let at = 0;
  for (const chunk of blob.chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Blobs as a store would hold them, plus a reader that records which were read. */
export function blobReader(encoded: EncodedValue, offset = 0) {
  const stored = new Map(encoded.blobs.map((blob) => [blob.name, blobBytes(blob, offset)]));
  return (name: string): Uint8Array => {
    const bytes = stored.get(name);
    if (bytes === undefined) throw new Error(`no blob ${name}`);
    return bytes;
  };
}

/** encode → JSON text → parse → decode, as a save and a restore would do. */
export function roundTrip(value: unknown, offset = 0): unknown {
  const encoded = encodeValue(value, "value");
  const description = JSON.parse(JSON.stringify(encoded.description)) as JsonValue;
  return decodeValue(description, blobReader(encoded, offset), "value");
}
