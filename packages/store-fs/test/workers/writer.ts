// A worker process that writes large and small objects until it is killed (SIGKILL test).
import { FsStore } from "../../src/index.js";

const BIG_SIZE = 32 * 1024 * 1024;
const CHUNK = 2 * 1024 * 1024;

const [root] = process.argv.slice(2);
const store = new FsStore({ root: root! });

/** A big body whose every byte is `fill`: a torn or mixed object shows as a wrong byte or size. */
async function* bigBody(fill: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < BIG_SIZE; offset += CHUNK) {
    await new Promise((resolve) => setImmediate(resolve));
    yield new Uint8Array(CHUNK).fill(fill);
  }
}

async function conditionalPut(key: string, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  const head = await store.head(key);
  await store.put(key, body, head ? { ifMatch: head.version } : { ifNoneMatch: "*" });
}

for (let i = 1; ; i++) {
  process.send!({ putting: i });
  await conditionalPut(`big/obj-${i % 3}`, bigBody(i & 0xff));
  for (let n = 0; n < 10; n++)
    await conditionalPut("small/counter", new TextEncoder().encode(String(i * 100 + n)));
  if (i % 4 === 0) await store.delete(["small/counter"]);
}
