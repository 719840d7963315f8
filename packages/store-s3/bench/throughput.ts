/**
 * Put and get throughput of S3Store against plain SDK calls on the same bytes, in the same run,
 * on a throw-away radosgw (memstore OSD, loopback). Also the store calls per commit of the commit
 * protocol, with one writer. Prints a table; asserts nothing.
 *
 * Usage (from the repo root, as root or with radosgw installed):
 *   node --import tsx --conditions=@ckpt/source packages/store-s3/bench/throughput.ts [sizesMiB...]
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { CatalogClient, type Store } from "@ckpt/core";
import { radosgwS3Config, startRadosgw } from "@ckpt/test-servers";
import {
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_CONCURRENCY,
  DEFAULT_PART_SIZE,
  S3Store,
} from "../src/index.js";

const MiB = 1024 * 1024;
const sizesMiB = process.argv.slice(2).map(Number);
const SIZES = (sizesMiB.length ? sizesMiB : [1, 64, 512]).map((size) => size * MiB);
const repetitions = (size: number) => (size <= MiB ? 30 : size <= 64 * MiB ? 5 : 3);

function body(size: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761) >>> 0;
  return out;
}

/** Best and median MiB/s of `runs` timed calls, after one untimed warm-up call. */
async function measure(size: number, runs: number, call: (run: number) => Promise<unknown>) {
  await call(-1);
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await call(run);
    rates.push(size / MiB / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { best: rates.at(-1)!, median: rates[Math.floor(rates.length / 2)]! };
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.byteLength;
  return total;
}

const server = await startRadosgw({ log: (line) => console.error(`[radosgw] ${line}`) });
const client = new S3Client(radosgwS3Config(server));
const bucket = server.bucket;
const store = new S3Store({ client, bucket, prefix: "bench" });
const rows: string[][] = [];
const row = (what: string, size: number, rate: { best: number; median: number }) =>
  rows.push([what, `${size / MiB} MiB`, rate.median.toFixed(0), rate.best.toFixed(0)]);

try {
  for (const size of SIZES) {
    const bytes = body(size);
    const runs = repetitions(size);
    const plainKey = `bench/plain-${size}`;
    const multipart = size > DEFAULT_MULTIPART_THRESHOLD;

    row("S3Store.put", size, await measure(size, runs, () => store.put(`put-${size}`, bytes)));
    row(
      "plain PutObject",
      size,
      await measure(size, runs, () =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: plainKey, Body: bytes, ContentLength: size }),
        ),
      ),
    );
    if (multipart)
      row(
        "plain lib-storage Upload",
        size,
        await measure(size, runs, () =>
          new Upload({
            client,
            params: { Bucket: bucket, Key: plainKey, Body: bytes },
            partSize: DEFAULT_PART_SIZE,
            queueSize: DEFAULT_PART_CONCURRENCY,
          }).done(),
        ),
      );
    const chunks = [bytes.subarray(0, 128), bytes.subarray(128)];
    row(
      "S3Store.put, 2 chunks (npy-like)",
      size,
      await measure(size, runs, () => store.put(`put-${size}`, chunks)),
    );

    row("S3Store.get", size, await measure(size, runs, () => store.get(`put-${size}`)));
    row(
      "S3Store.getStream (drained)",
      size,
      await measure(size, runs, async () => drain((await store.getStream(`put-${size}`)).stream)),
    );
    row(
      "plain GetObject + transformToByteArray",
      size,
      await measure(size, runs, async () => {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: plainKey }));
        return await output.Body?.transformToByteArray();
      }),
    );
    // memstore keeps every object in RAM.
    await store.delete([`put-${size}`, `plain-${size}`]);
  }

  // Store calls per commit, one writer, no contention.
  let calls = 0;
  const counting: Store = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "close") return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  for (const [mode, objects] of [
    ["append", 1],
    ["append", 4],
    ["overwrite", 4],
  ] as const) {
    const root = `calls-${mode}-${objects}`;
    const catalog = new CatalogClient({
      store: counting,
      checkpoint: root,
      root,
      mode,
      historySize: 8,
      rank: 0,
      worldSize: 1,
      level: 2,
    });
    await catalog.rows();
    calls = 0;
    const commits = 20;
    for (let i = 1; i <= commits; i++)
      await catalog.commit({
        writeCount: i,
        labels: {},
        metadata: { i },
        states: { s: { path: "states/s", schemaHash: "h" } },
        objects: Array.from({ length: objects }, (_, k) => {
          const b = new TextEncoder().encode(`object ${k} of ${i}`);
          return { key: `states/s/o${k}.bin`, chunks: [b], size: b.byteLength };
        }),
      });
    rows.push([
      `store calls per commit (${mode}, ${objects} object(s))`,
      "",
      (calls / commits).toFixed(1),
      "",
    ]);
  }

  const widths = [40, 9, 12, 10];
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" ");
  console.log(line(["operation", "size", "median MiB/s", "best MiB/s"]));
  for (const cells of rows) console.log(line(cells));
} finally {
  await store.close();
  client.destroy();
  await server.stop();
}
