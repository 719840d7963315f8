import { CatalogClient, openStore } from "@ckpt/core";
import { FaultyStore } from "@ckpt/core/testing";
import "@ckpt/store-fs";

const store = new FaultyStore(await openStore("memory://dbg"));
const catalog = new CatalogClient({
  store,
  checkpoint: "t",
  root: "t",
  mode: "append",
  historySize: 4,
  rank: 0,
  worldSize: 1,
  level: 2,
  warn: () => {},
  retry: { attempts: 5, baseDelayMs: 60000, maxDelayMs: 60000 },
});
const obj = (n: number) => ({ key: `o${n}`, chunks: [new Uint8Array(10)], size: 10 });
await catalog.commit({ writeCount: 1, labels: {}, metadata: {}, states: {}, objects: [obj(1), obj(2)] });
store.reset();
store.inject(
  ...Array.from({ length: 50 }, (_, k) => ({ at: k + 1, kind: "before" as const, ops: ["put" as const] })),
);
const c = new AbortController();
const p = catalog.commit({
  writeCount: 2,
  labels: {},
  metadata: {},
  states: {},
  objects: [obj(1), obj(2)],
  signal: c.signal,
});
setTimeout(() => c.abort(), 50);
const e = await p.catch((e) => e);
console.log(String(e), e.stack);
