/**
 * A writer process for the GCS race test: for each round, waits at a barrier (an object per writer
 * in the store) until every writer has arrived, then commits `commits` rows to that round's
 * checkpoint through a GcsStore and the real SDK, printing every committed row as a JSON line.
 *
 * Usage: node --import tsx --conditions=@ckpt/source race-writer.ts <apiEndpoint> <bucket>
 *        <writer> <writers> <rounds> <commits>
 */
import { CatalogClient, listAllArray } from "@ckpt/core";
import { GcsStore } from "../../src/index.js";

const [endpoint, bucket, writer, writersText, roundsText, commitsText] = process.argv.slice(2);
if (commitsText === undefined)
  throw new Error("usage: race-writer <apiEndpoint> <bucket> <writer> <writers> <rounds> <commits>");
const writers = Number(writersText);

const store = new GcsStore({
  bucket: bucket!,
  prefix: "race",
  storageOptions: {
    apiEndpoint: endpoint!,
    projectId: "test",
    retryOptions: { retryDelayMultiplier: 1.5, maxRetryDelay: 1, totalTimeout: 60 },
  },
});

for (let round = 0; round < Number(roundsText); round++) {
  // Barrier: everyone commits to this round's checkpoint at the same moment.
  await store.put(`barrier/${round}/${writer}`, new Uint8Array(0));
  while ((await listAllArray(store, `barrier/${round}/`)).length < writers)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const catalog = new CatalogClient({
    store,
    checkpoint: `round-${round}`,
    root: `round-${round}`,
    mode: "append",
    historySize: null,
    rank: 0,
    worldSize: 1,
    level: 2,
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
    // A local server answers in a millisecond: shorter backoffs than the cloud defaults.
    retry: { baseDelayMs: 5, maxDelayMs: 250 },
  });
  for (let i = 1; i <= Number(commitsText); i++) {
    const body = new TextEncoder().encode(`${writer} round ${round} write ${i}`);
    const row = await catalog.commit({
      writeCount: i,
      labels: { writer: writer! },
      metadata: { writer: writer!, round, i },
      states: { "demo.State": { path: "states/demo.State", schemaHash: "h" } },
      objects: [{ key: "states/demo.State/state.json", chunks: [body], size: body.byteLength }],
    });
    process.stdout.write(`${JSON.stringify({ round, commitId: row.commitId })}\n`);
  }
}
