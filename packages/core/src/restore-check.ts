import { ValueDecoder } from "./codec/decode.js";
import { type JsonValue, parseJsonBytes } from "./codec/json.js";
import type { CatalogReader, CatalogRow, Manifest, ReadOptions } from "./commit/index.js";
import { CheckpointEntry } from "./entry.js";
import { CheckpointDecodeError, CheckpointIntegrityError } from "./errors.js";
import { type LoadedState, loadStates } from "./session.js";
import { STATE_FORMAT } from "./state/codec.js";

/** The file of a state folder that holds its fields' descriptions. */
const STATE_JSON = "state.json";

/**
 * Decodes a loaded state without its schema: state.json's envelope, then every field with the
 * blobs it names, as a restore would. A row whose `.npy` header disagrees with its state.json
 * fails here (`CheckpointDecodeError`), so damage of that kind is found when the row is read,
 * not when a state is bound. A state.json of another format is left to the restore to refuse.
 */
export function checkDecodable(stateId: string, state: LoadedState): void {
  const where = `${state.folder}/state.json`;
  const parsed = parseJsonBytes(state.stateJson, where);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new CheckpointDecodeError(where, "state.json must hold a JSON object");
  if (parsed.format !== STATE_FORMAT) return;
  const fields = parsed.fields;
  if (typeof fields !== "object" || fields === null || Array.isArray(fields))
    throw new CheckpointDecodeError(where, "state.json fields must be a JSON object");
  const decoder = new ValueDecoder((name) => {
    const blob = state.blobs.get(name);
    if (blob === undefined)
      throw new CheckpointIntegrityError(
        `${state.folder}/${name}`,
        `state ${stateId} names a blob that its commit does not hold`,
      );
    return blob;
  });
  try {
    for (const [name, description] of Object.entries(fields as Record<string, JsonValue>))
      decoder.decodeProperty(description, `state.${stateId}`, name);
  } catch (error) {
    // The codec names the value and the file; the reader also needs to know where it is stored.
    if (!(error instanceof CheckpointDecodeError)) throw error;
    const detail = error.message.slice(error.path.length + 2);
    throw new CheckpointDecodeError(error.path, `${detail} (stored under "${state.folder}/")`, {
      cause: error,
    });
  }
}

/**
 * Reads the saved states of a row, each object through its checksum, and decodes them without a
 * schema (see {@link checkDecodable}): what a restore of the row needs, read once.
 */
export async function loadRestorable(
  reader: CatalogReader,
  entry: CheckpointEntry,
  options: { signal?: AbortSignal | undefined; concurrency?: number | undefined } = {},
): Promise<ReadonlyMap<string, LoadedState>> {
  const loaded = await loadStates(reader, entry, options);
  for (const [stateId, state] of loaded) checkDecodable(stateId, state);
  return loaded;
}

/**
 * Verifies one row as a restore would use it: every object through its size and checksum, then
 * every state decoded without a schema. A decode failure is a verification failure: it throws
 * `CheckpointDecodeError` (an `.npy` header that disagrees with state.json), as a checksum
 * mismatch throws `CheckpointIntegrityError`; both name the key.
 *
 * @example
 * for (const row of await reader.rows()) await verifyRow(reader, row);
 */
export async function verifyRow(
  reader: CatalogReader,
  row: CatalogRow,
  options?: ReadOptions,
): Promise<void> {
  await reader.verify(row, options);
  if (row.stateIds.length === 0) return;
  await loadRestorable(reader, new CheckpointEntry(row), options);
}

/** One saved state of a row as {@link savedStates} describes it. */
export interface SavedState {
  readonly id: string;
  /** The state's folder relative to the commit folder. */
  readonly path: string;
  readonly schemaHash: string;
  /** Each field's stored description (arrays: dtype, shape and blob), as state.json holds it. */
  readonly fields: Readonly<Record<string, JsonValue>>;
}

/**
 * The saved states of a commit with their fields' stored descriptions, reading only each
 * state.json (through its checksum), for tools that show a row without restoring it.
 */
export async function savedStates(
  reader: CatalogReader,
  manifest: Manifest,
  options?: ReadOptions,
): Promise<SavedState[]> {
  const states: SavedState[] = [];
  for (const [id, state] of Object.entries(manifest.states)) {
    const key = `${state.path}/${STATE_JSON}`;
    let fields: Record<string, JsonValue> = {};
    if (manifest.objects.some((object) => object.key === key)) {
      const parsed = parseJsonBytes(await reader.readObject(manifest, key, options), key);
      const stored =
        typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed.fields : undefined;
      if (typeof stored === "object" && stored !== null && !Array.isArray(stored)) fields = stored;
    }
    states.push({ id, path: state.path, schemaHash: state.schemaHash, fields });
  }
  return states;
}
