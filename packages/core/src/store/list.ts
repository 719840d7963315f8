import type { CallOptions, ObjectInfo, Store } from "./types.js";

/** Every object under `prefix`, page after page. */
export async function* listAll(
  store: Store,
  prefix: string,
  options?: CallOptions,
): AsyncIterable<ObjectInfo> {
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, { cursor, signal: options?.signal });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Every object under `prefix`, collected into an array. */
export async function listAllArray(
  store: Store,
  prefix: string,
  options?: CallOptions,
): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of listAll(store, prefix, options)) out.push(info);
  return out;
}
