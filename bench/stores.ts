/**
 * The four stores the benchmarks run on, each with a raw baseline client over the same medium:
 * - `fs`: a temporary folder on the real disk (FsStore via `file://`; raw: `writeFile` + `fsync`);
 * - `memory`: memfs (FsStore via `memory://`; raw: memfs `writeFile` / `readFile`);
 * - `s3`: a Ceph radosgw started with the tests' launcher from @ckpt/test-servers (S3Store; raw:
 *   `PutObject` up to the store's multipart threshold, `Upload` with the store's part size and part
 *   concurrency above);
 * - `gcs`: the tests' Cloud Storage JSON API fixture from @ckpt/test-servers, run in its own process
 *   so it does not share the benchmark's event loop (GcsStore; raw: `file.save` / `file.download`).
 *
 * A {@link StoreSpec} is plain JSON, so the memory benchmark's child processes reach the same
 * running servers.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { listAllArray, openStore, type Store } from "@ckpt/core";

export type StoreKind = "fs" | "memory" | "s3" | "gcs";
export const STORE_KINDS: readonly StoreKind[] = ["fs", "memory", "s3", "gcs"];

/** How to reach a running store environment; JSON, handed to child processes. */
export type StoreSpec =
  | { readonly kind: "fs"; readonly dir: string }
  | { readonly kind: "memory" }
  | {
      readonly kind: "s3";
      readonly endpoint: string;
      readonly region: string;
      readonly bucket: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
    }
  | { readonly kind: "gcs"; readonly url: string; readonly bucket: string };

/** A running store environment. */
export interface StoreEnv {
  readonly spec: StoreSpec;
  /** One line for the report, e.g. "radosgw (Ceph 16, memstore) at http://127.0.0.1:4123". */
  readonly description: string;
  /**
   * Frees the space of deleted objects now, where the server defers it (radosgw deletes the tails of
   * multipart objects in a garbage collection pass, by default two hours later; memstore would fill).
   */
  reclaim(): Promise<void>;
  stop(): Promise<void>;
}

/** Plain writes and reads of whole objects over the same medium as a store, for the baselines. */
export interface RawIo {
  write(key: string, bytes: Uint8Array): Promise<void>;
  read(key: string): Promise<Uint8Array>;
  /** Removes everything written under this raw client's prefix. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

const run = promisify(execFile);

/** Multipart settings of S3Store's defaults, used by the raw S3 baseline too (same parallelism). */
const S3_MULTIPART_THRESHOLD = 32 * 1024 * 1024;
const S3_PART_SIZE = 16 * 1024 * 1024;
const S3_PART_CONCURRENCY = 4;
/** GcsStore's default: larger bodies go as resumable uploads; the raw baseline does the same. */
const GCS_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
const GCS_CHUNK_SIZE = 16 * 1024 * 1024;

/** Starts (or prepares) one store environment. */
export async function startStore(kind: StoreKind, log: (line: string) => void): Promise<StoreEnv> {
  switch (kind) {
    case "fs": {
      const dir = await mkdtemp(join(tmpdir(), "ckpt-bench-"));
      return {
        spec: { kind, dir },
        description: `FsStore on a temporary folder of the local disk (${dir})`,
        reclaim: async () => {},
        stop: () => rm(dir, { recursive: true, force: true }),
      };
    }
    case "memory":
      return {
        spec: { kind },
        description: "FsStore over memfs (memory://)",
        reclaim: async () => {},
        stop: async () => {},
      };
    case "s3": {
      const { startRadosgw } = await import("@ckpt/test-servers");
      const server = await startRadosgw({ bucket: "ckpt-bench", log: (line) => log(`radosgw: ${line}`) });
      const { endpoint, region, bucket, accessKeyId, secretAccessKey } = server;
      return {
        spec: { kind, endpoint, region, bucket, accessKeyId, secretAccessKey },
        description: `Ceph radosgw (beast frontend with tcp_nodelay, memstore OSD, one replica) at ${endpoint}`,
        reclaim: async () => {
          await run(
            "radosgw-admin",
            ["-c", join(server.dir, "ceph.conf"), "gc", "process", "--include-all"],
            {
              timeout: 120_000,
            },
          );
        },
        stop: () => server.stop(),
      };
    }
    case "gcs":
      return await startGcsServer(log);
  }
}

/** Runs the GCS JSON API test server in a child process and creates the bench bucket. */
async function startGcsServer(log: (line: string) => void): Promise<StoreEnv> {
  const { startGcsServerProcess } = await import("@ckpt/test-servers");
  const bucket = "ckpt-bench";
  const server = await startGcsServerProcess([bucket]);
  log(`gcs: test server at ${server.url} (pid ${server.pid})`);
  return {
    spec: { kind: "gcs", url: server.url, bucket },
    description: `the Cloud Storage JSON API test fixture (in-memory, own Node process) at ${server.url}`,
    reclaim: async () => {},
    stop: () => server.stop(),
  };
}

/**
 * Loads @ckpt/store-fs, which registers the file: and memory: schemes. openStore would load it by a
 * computed name, which a bundle (the compiled memory child, see compiled-child.ts) cannot follow: it
 * would load the package's dist/ with a second copy of @ckpt/core that the bundle's openStore never
 * asks. A literal import is bundled with the rest.
 */
async function registerFsStore(): Promise<void> {
  await import("@ckpt/store-fs");
}

/** A ckpt store under `prefix` of a running environment. */
export async function openBenchStore(spec: StoreSpec, prefix: string): Promise<Store> {
  switch (spec.kind) {
    case "fs":
      await registerFsStore();
      return await openStore(pathToFileURL(join(spec.dir, prefix)).href);
    case "memory":
      await registerFsStore();
      return await openStore(`memory://bench-${prefix.replaceAll("/", "-")}`);
    case "s3": {
      const { S3Store } = await import("@ckpt/store-s3");
      return new S3Store({
        bucket: spec.bucket,
        prefix,
        clientConfig: {
          endpoint: spec.endpoint,
          region: spec.region,
          forcePathStyle: true,
          credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
        },
        // radosgw compares If-Match without quotes: say so, as a user of radosgw would.
        ifMatchQuoting: "unquoted",
      });
    }
    case "gcs": {
      const { GcsStore } = await import("@ckpt/store-gcs");
      return new GcsStore({
        bucket: spec.bucket,
        prefix,
        storageOptions: { apiEndpoint: spec.url, projectId: "bench" },
      });
    }
  }
}

/** Deletes every object of a store (to free a server's memory between runs). */
export async function emptyStore(store: Store): Promise<void> {
  const keys = (await listAllArray(store, "")).map((info) => info.key);
  if (keys.length > 0) await store.delete(keys);
}

/** The raw baseline client of a running environment, writing under `prefix`. */
export async function openRaw(spec: StoreSpec, prefix: string): Promise<RawIo> {
  switch (spec.kind) {
    case "fs":
      return rawDisk(join(spec.dir, prefix));
    case "memory":
      return await rawMemfs();
    case "s3":
      return await rawS3(spec, prefix);
    case "gcs":
      return await rawGcs(spec, prefix);
  }
}

function rawDisk(dir: string): RawIo {
  let made: Promise<unknown> | undefined;
  return {
    async write(key, bytes) {
      const path = join(dir, key);
      made ??= mkdir(dir, { recursive: true });
      await made;
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, "w");
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    read: (key) => readFile(join(dir, key)),
    clear: () => rm(dir, { recursive: true, force: true }),
    close: async () => {},
  };
}

async function rawMemfs(): Promise<RawIo> {
  const { Volume, createFsFromVolume } = await import("memfs");
  let volume = new Volume();
  let fs = createFsFromVolume(volume).promises;
  return {
    async write(key, bytes) {
      const path = `/raw/${key}`;
      await fs.mkdir(dirname(path), { recursive: true });
      await fs.writeFile(path, bytes);
    },
    async read(key) {
      return (await fs.readFile(`/raw/${key}`)) as Buffer;
    },
    async clear() {
      volume = new Volume();
      fs = createFsFromVolume(volume).promises;
    },
    close: async () => {},
  };
}

async function rawS3(spec: Extract<StoreSpec, { kind: "s3" }>, prefix: string): Promise<RawIo> {
  const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectsCommand } =
    await import("@aws-sdk/client-s3");
  const { Upload } = await import("@aws-sdk/lib-storage");
  const client = new S3Client({
    endpoint: spec.endpoint,
    region: spec.region,
    forcePathStyle: true,
    credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
  });
  const Bucket = spec.bucket;
  const full = (key: string) => `${prefix}/${key}`;
  return {
    async write(key, bytes) {
      if (bytes.byteLength <= S3_MULTIPART_THRESHOLD) {
        await client.send(
          new PutObjectCommand({ Bucket, Key: full(key), Body: bytes, ContentLength: bytes.byteLength }),
        );
        return;
      }
      const upload = new Upload({
        client,
        params: { Bucket, Key: full(key), Body: bytes, ContentLength: bytes.byteLength },
        partSize: S3_PART_SIZE,
        queueSize: S3_PART_CONCURRENCY,
      });
      await upload.done();
    },
    async read(key) {
      const output = await client.send(new GetObjectCommand({ Bucket, Key: full(key) }));
      return await output.Body!.transformToByteArray();
    },
    async clear() {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: `${prefix}/` }));
        const keys = (page.Contents ?? []).map((item) => ({ Key: item.Key! }));
        if (keys.length === 0) return;
        await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
      }
    },
    close: async () => client.destroy(),
  };
}

async function rawGcs(spec: Extract<StoreSpec, { kind: "gcs" }>, prefix: string): Promise<RawIo> {
  const { Storage } = await import("@google-cloud/storage");
  const bucket = new Storage({ apiEndpoint: spec.url, projectId: "bench" }).bucket(spec.bucket);
  const full = (key: string) => `${prefix}/${key}`;
  return {
    async write(key, bytes) {
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const resumable = bytes.byteLength > GCS_RESUMABLE_THRESHOLD;
      // The test server wants the resumable upload in chunks (it refuses the SDK's single streamed
      // request, "bytes 0-*/*"): the chunk size of GcsStore, so both send the same requests.
      await bucket
        .file(full(key))
        .save(buffer, resumable ? { resumable, chunkSize: GCS_CHUNK_SIZE } : { resumable });
    },
    async read(key) {
      const [bytes] = await bucket.file(full(key)).download();
      return bytes;
    },
    async clear() {
      const [files] = await bucket.getFiles({ prefix: `${prefix}/` });
      await Promise.all(files.map((file) => file.delete({ ignoreNotFound: true })));
    },
    close: async () => {},
  };
}

/** A unique prefix for one measurement. */
export function uniquePrefix(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/**
 * Writes every dirty page of the machine out (`sync(1)`) before a timed disk phase, so a phase does
 * not pay for the writeback of the one before it (a 1 GiB commit leaves up to a GiB of dirty pages
 * and deleted files behind). Without `sync` on the PATH it does nothing.
 */
export function settleDisk(): void {
  try {
    execFileSync("sync", { stdio: "ignore" });
  } catch {
    // No sync(1) here: phases then share the writeback, as before.
  }
}
