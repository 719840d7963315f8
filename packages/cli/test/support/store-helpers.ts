import { checksumOf, listAllArray, openStore, type Store } from "@ckpt/core";

/** Opens `url`, runs `fn`, closes the store. */
export async function withStore<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close?.();
  }
}

/** An object's bytes, or undefined when it does not exist. */
export function readKey(url: string, key: string): Promise<Uint8Array | undefined> {
  return withStore(url, async (store) =>
    (await store.head(key)) ? (await store.get(key)).bytes : undefined,
  );
}

/** The keys under `prefix`, sorted. */
export function keysUnder(url: string, prefix: string): Promise<string[]> {
  return withStore(url, async (store) => (await listAllArray(store, prefix)).map((info) => info.key).sort());
}

/** The commit ids under `<name>/commits/`, sorted. */
export async function commitIds(url: string, name: string): Promise<string[]> {
  const prefix = `${name}/commits/`;
  return [
    ...new Set((await keysUnder(url, prefix)).map((key) => key.slice(prefix.length).split("/")[0]!)),
  ].sort();
}

/** Flips the last byte of an object, as bit rot or a bad copy would. */
export function corrupt(url: string, key: string): Promise<void> {
  return withStore(url, async (store) => {
    const bytes = Uint8Array.from((await store.get(key)).bytes);
    bytes[bytes.length - 1]! ^= 0xff;
    await store.put(key, bytes);
  });
}

/** Copies every object of one commit folder under another commit id: garbage no row references. */
export function copyCommit(url: string, name: string, from: string, to: string): Promise<void> {
  return withStore(url, async (store) => {
    for (const info of await listAllArray(store, `${name}/commits/${from}/`)) {
      const { bytes } = await store.get(info.key);
      await store.put(info.key.replace(`/commits/${from}/`, `/commits/${to}/`), bytes);
    }
  });
}

/** Puts `bytes` at `key` unconditionally, as damage or another tool would. */
export function writeKey(url: string, key: string, bytes: Uint8Array): Promise<void> {
  return withStore(url, async (store) => {
    await store.put(key, bytes);
  });
}

/** Every key under `prefix` with its bytes as hex, to compare a store before and after. */
export function snapshot(url: string, prefix = ""): Promise<Record<string, string>> {
  return withStore(url, async (store) => {
    const out: Record<string, string> = {};
    for (const info of await listAllArray(store, prefix))
      out[info.key] = Buffer.from((await store.get(info.key)).bytes).toString("hex");
    return out;
  });
}

/**
 * Rewrites the dtype in the `.npy` header of a commit's first array ('<f8' to '<i8') and the
 * manifest's checksum to match: consistent checksums, a header that disagrees with state.json.
 */
export function disagreeingHeader(url: string, folder: string): Promise<void> {
  return withStore(url, async (store) => {
    const npy = (await listAllArray(store, `${folder}/`))
      .map((info) => info.key)
      .find((key) => key.endsWith(".npy"))!;
    const text = Buffer.from((await store.get(npy)).bytes)
      .toString("latin1")
      .replace("'<f8'", "'<i8'");
    const tampered = Uint8Array.from(Buffer.from(text, "latin1"));
    await store.put(npy, tampered);
    const manifestKey = `${folder}/manifest.json`;
    const manifest = JSON.parse(new TextDecoder().decode((await store.get(manifestKey)).bytes));
    for (const object of manifest.objects as { key: string; checksum: string }[])
      if (`${folder}/${object.key}` === npy) object.checksum = checksumOf(tampered);
    await store.put(manifestKey, new TextEncoder().encode(JSON.stringify(manifest, null, 2)));
  });
}
