/**
 * A writer process for the concurrent-commit tests: commits `count` times to one checkpoint and
 * prints every committed row as one JSON line on stdout.
 *
 * Usage: node --import tsx --conditions=@ckpt/source commit-writer.ts <storeUrl> <root> <mode>
 *        <historySize|null> <labels JSON> <count> <writer name>
 */
import { CatalogClient } from "../../src/commit/index.js";
import "@ckpt/store-fs";
import { openStore } from "../../src/store/index.js";

const [storeUrl, root, mode, history, labelsJson, countText, writer] = process.argv.slice(2);
if (writer === undefined)
  throw new Error("usage: commit-writer <storeUrl> <root> <mode> <history> <labels> <count> <writer>");

const store = await openStore(storeUrl);
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
// Start barrier: say "ready" and wait for the parent's go, so both writers really overlap however
// long each took to start on a loaded machine.
process.stderr.write("ready\n");
await new Promise<void>((go) => process.stdin.once("data", () => go()));
process.stdin.destroy();
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
