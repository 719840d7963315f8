/**
 * A writer process for the concurrent-commit tests: commits `count` times to one checkpoint and
 * prints every committed row as one JSON line on stdout.
 *
 * Usage: node --import tsx --conditions=@ckpt/source commit-writer.ts <storeUrl> <root> <mode>
 *        <historySize|null> <labels JSON> <count> <writer name>
 */
import { CatalogClient } from "../../src/commit/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { DiskTestStore } from "./disk-store.js";

const [storeUrl, root, mode, history, labelsJson, countText, writer] = process.argv.slice(2);
if (writer === undefined)
  throw new Error("usage: commit-writer <storeUrl> <root> <mode> <history> <labels> <count> <writer>");

// disk-test:<folder> is core's own folder store (support/disk-store.ts); anything else goes to openStore.
const store: Store = storeUrl!.startsWith("disk-test:")
  ? new DiskTestStore(storeUrl!.slice("disk-test:".length))
  : await openStore(storeUrl);
const catalog = new CatalogClient({
  store,
  checkpoint: root!,
  root: root!,
  mode: mode as "overwrite" | "append",
  historySize: history === "null" ? null : Number(history),
  rank: 0,
  worldSize: 1,
  level: 2,
  warn: (message) => process.stderr.write(`warning: ${message}\n`),
});
await catalog.rows();
const labels = JSON.parse(labelsJson!) as Record<string, string>;
for (let i = 1; i <= Number(countText); i++) {
  const body = new TextEncoder().encode(`${writer} write ${i}`);
  const row = await catalog.commit({
    writeCount: i,
    labels,
    metadata: { writer: writer, i },
    states: { "demo.State": { path: "states/demo.State", schemaHash: "h" } },
    objects: [{ key: "states/demo.State/state.json", chunks: [body], size: body.byteLength }],
  });
  process.stdout.write(`${JSON.stringify(row)}\n`);
}
await store.close?.();
