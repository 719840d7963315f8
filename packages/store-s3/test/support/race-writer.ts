/**
 * A writer process for the racing-commits test: opens the `s3://` store given on the command
 * line (credentials from the environment, as a batch job would), says "ready", then for every
 * stdin line `round <n> <count>` commits `count` times to the checkpoint `round-<n>` with the
 * labels `{ writer }` and prints `{ "round": n, "rows": [...], "counts": {...} }` as one JSON line
 * (counts: store calls, catalog puts lost with 412, catalog puts with an unknown outcome).
 *
 * Usage: node --import tsx --conditions=@ckpt/source race-writer.ts <storeUrl> <writer>
 */
import { createInterface } from "node:readline";
import {
  CatalogClient,
  type CatalogRow,
  openStore,
  PreconditionFailedError,
  type Store,
  TransientStoreError,
} from "@ckpt/core";
import "../../src/index.js";

const [storeUrl, writer] = process.argv.slice(2);
if (storeUrl === undefined || writer === undefined) throw new Error("usage: race-writer <storeUrl> <writer>");

const inner = await openStore(storeUrl);
/** Store calls, and how the catalog compare-and-swap puts ended, since the last round began. */
const counts = { calls: 0, casLost412: 0, casUnknown: 0 };
const isCatalog = (key: string) => key.endsWith("catalog.json");
function counted<T>(result: T): T {
  counts.calls++;
  return result;
}
// Counts calls on their way to the real store; changes nothing.
const store: Store = {
  url: inner.url,
  put: async (key, body, options) => {
    counts.calls++;
    try {
      return await inner.put(key, body, options);
    } catch (error) {
      if (isCatalog(key) && error instanceof PreconditionFailedError) counts.casLost412++;
      if (isCatalog(key) && error instanceof TransientStoreError) counts.casUnknown++;
      throw error;
    }
  },
  get: (key, options) => counted(inner.get(key, options)),
  getStream: (key, options) => counted(inner.getStream(key, options)),
  head: (key, options) => counted(inner.head(key, options)),
  list: (prefix, options) => counted(inner.list(prefix, options)),
  delete: (keys, options) => counted(inner.delete(keys, options)),
};
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const [command, roundText, countText] = line.trim().split(" ");
  if (command !== "round") break;
  const root = `round-${roundText}`;
  const catalog = new CatalogClient({
    store,
    checkpoint: root,
    root,
    mode: "append",
    historySize: null,
    rank: 0,
    worldSize: 1,
    level: 2,
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
  });
  const rows: CatalogRow[] = [];
  Object.assign(counts, { calls: 0, casLost412: 0, casUnknown: 0 });
  for (let i = 1; i <= Number(countText); i++) {
    const body = new TextEncoder().encode(`${writer} round ${roundText} write ${i}`);
    rows.push(
      await catalog.commit({
        writeCount: i,
        labels: { writer },
        metadata: { writer, i },
        states: { "demo.State": { path: "states/demo.State", schemaHash: "h" } },
        objects: [{ key: "states/demo.State/state.json", chunks: [body], size: body.byteLength }],
      }),
    );
  }
  process.stdout.write(`${JSON.stringify({ round: Number(roundText), rows, counts })}\n`);
}
await inner.close?.();
