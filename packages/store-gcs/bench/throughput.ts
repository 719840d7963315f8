/**
 * Put/get throughput of GcsStore against a plain `file.save()` / `file.download()` of the same bytes
 * with the same client, in the same run, for 1, 64 and 512 MiB bodies. The server is the fake Cloud
 * Storage (a TEST FIXTURE, in-memory, in a child process on 127.0.0.1), so the numbers compare
 * client-side costs (SDK, chunking, CRC-32C validation), not the network to Google.
 *
 * Run from the repo root: node --import tsx --conditions=@ckpt/source packages/store-gcs/bench/throughput.ts [sizesMiB…]
 * No timed assertions: it prints a table.
 */
import { randomFillSync } from "node:crypto";
import { startGcsServerProcess } from "@ckpt/test-servers";
import { Storage } from "@google-cloud/storage";
import { GcsStore } from "../src/index.js";

const MiB = 1024 * 1024;
const sizes = process.argv.slice(2).map(Number);
const sizesMiB = sizes.length > 0 ? sizes : [1, 64, 512];

const server = await startGcsServerProcess(["bench"]);
const url = server.url;

const storage = new Storage({ apiEndpoint: url, projectId: "bench" });
const store = new GcsStore({ bucket: "bench", prefix: "store", storage });
const bucket = storage.bucket("bench");

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rows: string[] = [];
for (const sizeMiB of sizesMiB) {
  const size = sizeMiB * MiB;
  const body = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 64 * MiB)
    randomFillSync(body, offset, Math.min(64 * MiB, size - offset));
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const repeats = sizeMiB <= 1 ? 15 : sizeMiB <= 64 ? 3 : 2;
  const result = {
    storePut: [] as number[],
    storeGet: [] as number[],
    plainSave: [] as number[],
    plainDownload: [] as number[],
  };
  for (let i = 0; i < repeats; i++) {
    result.storePut.push(await timed(() => store.put(`body-${sizeMiB}`, body)));
    result.storeGet.push(
      await timed(async () => {
        const got = await store.get(`body-${sizeMiB}`);
        if (got.bytes.byteLength !== size) throw new Error("short read");
      }),
    );
    const file = bucket.file(`plain/body-${sizeMiB}`);
    result.plainSave.push(await timed(() => file.save(buffer)));
    result.plainDownload.push(
      await timed(async () => {
        const [bytes] = await file.download();
        if (bytes.byteLength !== size) throw new Error("short read");
      }),
    );
  }
  await store.delete([`body-${sizeMiB}`]);
  await bucket.file(`plain/body-${sizeMiB}`).delete();
  const rate = (seconds: number[]) => `${(sizeMiB / median(seconds)).toFixed(0).padStart(5)} MiB/s`;
  rows.push(
    `${String(sizeMiB).padStart(4)} MiB | put ${rate(result.storePut)} | save ${rate(result.plainSave)} | get ${rate(result.storeGet)} | download ${rate(result.plainDownload)} | median of ${repeats}`,
  );
  process.stdout.write(`${rows.at(-1)}\n`);
}
await server.stop();
