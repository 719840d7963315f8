/**
 * Tools to damage a checkpoint on purpose and to prove a reader changed nothing: a snapshot of
 * every key with its checksum, a wrapper that counts the bytes a reader pulled out of the store,
 * and helpers that rewrite an object (optionally keeping the manifest consistent, the way a
 * hostile writer would).
 */
import {
  type CheckpointEntry,
  checksumOf,
  type GetOptions,
  type GetResult,
  type GetStreamResult,
  listAllArray,
  type Store,
} from "@ckpt/core";
import { ForwardingStore } from "@ckpt/core/testing";

/** Every key of the store with the checksum of its bytes. */
export async function snapshot(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const info of await listAllArray(store, ""))
    out[info.key] = checksumOf((await store.get(info.key)).bytes);
  return out;
}

/** A pass-through store that counts the bytes every get/getStream handed to its caller. */
export class MeteredStore extends ForwardingStore {
  bytesRead = 0;
  /** The largest `maxBytes` a reader asked for (0 when every read was unbounded). */
  largestBound = 0;
  unboundedReads: string[] = [];
  /** The `maxBytes` of the last read of each key. */
  readonly bounds = new Map<string, number>();
  #note(key: string, options: GetOptions | undefined): void {
    if (options?.maxBytes === undefined) this.unboundedReads.push(key);
    else {
      this.largestBound = Math.max(this.largestBound, options.maxBytes);
      this.bounds.set(key, options.maxBytes);
    }
  }
  override async get(key: string, options?: GetOptions): Promise<GetResult> {
    this.#note(key, options);
    const result = await super.get(key, options);
    this.bytesRead += result.bytes.byteLength;
    return result;
  }
  override async getStream(key: string, options?: GetOptions): Promise<GetStreamResult> {
    this.#note(key, options);
    const result = await super.getStream(key, options);
    const meter = this;
    return {
      info: result.info,
      stream: (async function* () {
        for await (const chunk of result.stream) {
          meter.bytesRead += chunk.byteLength;
          yield chunk;
        }
      })(),
    };
  }
}

/** The store keys of one row: its folder, manifest and objects. */
export function rowKeys(root: string, entry: Pick<CheckpointEntry, "commitId">) {
  const folder = `${root}/commits/${entry.commitId}`;
  const state = `${folder}/states/reliability.Field`;
  return {
    folder,
    manifest: `${folder}/manifest.json`,
    stateJson: `${state}/state.json`,
    npy: (field: string) => `${state}/${field}.npy`,
  };
}

/** Replaces the bytes of `key` without touching the manifest (damage a checksum catches). */
export async function overwrite(store: Store, key: string, bytes: Uint8Array): Promise<void> {
  await store.put(key, bytes);
}

/**
 * Replaces an object of a commit AND rewrites the manifest's size and checksum for it, as a
 * hostile or buggy writer would: the checksum then passes, and only the decoder stands guard.
 */
export async function forge(
  store: Store,
  root: string,
  commitId: string,
  objectKey: string,
  bytes: Uint8Array,
) {
  const { manifest } = rowKeys(root, { commitId });
  await store.put(`${root}/commits/${commitId}/${objectKey}`, bytes);
  await editManifest(store, manifest, (document) => {
    const objects = document.objects as { key: string; size: number; checksum: string }[];
    const entry = objects.find((object) => object.key === objectKey);
    if (entry === undefined) throw new Error(`${objectKey} is not in ${manifest}`);
    entry.size = bytes.byteLength;
    entry.checksum = checksumOf(bytes);
  });
}

/** Parses a JSON document of the store, lets `edit` change it, and writes it back. */
export async function editManifest(
  store: Store,
  key: string,
  edit: (document: Record<string, unknown>) => void,
): Promise<void> {
  const document = JSON.parse(Buffer.from((await store.get(key)).bytes).toString("utf8"));
  edit(document);
  await store.put(key, new TextEncoder().encode(JSON.stringify(document)));
}

/** `depth` nested JSON arrays: `[[[…]]]`. */
export function nestedJson(depth: number): Uint8Array {
  return new TextEncoder().encode(`${"[".repeat(depth)}${"]".repeat(depth)}`);
}
