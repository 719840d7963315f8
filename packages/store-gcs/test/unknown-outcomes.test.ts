// Writes whose outcome the client cannot know, and transient failures, through the real
// @google-cloud/storage client against the fake Cloud Storage (TEST FIXTURE) with faults injected.
import { CatalogClient, PreconditionFailedError, TransientStoreError } from "@ckpt/core";
import { fixture, fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { IdempotencyStrategy, Storage } from "@google-cloud/storage";
import { afterEach, describe, expect, it } from "vitest";
import { GcsStore } from "../src/index.js";
import { fixtureStore } from "./support/stores.js";

const text = (value: string) => new TextEncoder().encode(value);
const MiB = 1024 * 1024;

afterEach(async () => {
  await fixture().clearFaults();
});

/** A large body as separate chunks, so the store sends it as a chunked resumable upload. */
function largeBody(size: number, seed: number): Uint8Array[] {
  const whole = new Uint8Array(size);
  for (let i = 0; i < size; i++) whole[i] = (i * 31 + seed) & 0xff;
  return [whole.subarray(0, 1000), whole.subarray(1000)];
}

async function insertsOf(bucket: string, object: string): Promise<{ status: number | "dropped" }[]> {
  const requests = await fixture().requests(bucket);
  return requests.filter(
    (r) => r.object === object && (r.operation === "objects.insert" || r.operation === "resumable.put"),
  );
}

describe("a write that landed but whose response was lost", () => {
  it("create-only small put: the SDK's retry meets 412, the store reads back its write id and succeeds", async () => {
    const store = await fixtureStore();
    await fixture().injectFault({
      filter: { bucket: store.bucketName, operation: "objects.insert" },
      action: "drop-response",
    });
    const info = await store.put("catalog.json", text("v1"), { ifNoneMatch: "*" });
    expect(info.version).toBe((await store.head("catalog.json"))?.version);
    expect(new TextDecoder().decode((await store.get("catalog.json")).bytes)).toBe("v1");
    // First attempt applied and dropped, the SDK's retry answered 412.
    expect((await insertsOf(store.bucketName, "prefix/catalog.json")).map((r) => r.status)).toEqual([
      "dropped",
      412,
    ]);
  });

  it("compare-and-swap put (ifMatch): same, never a false PreconditionFailedError", async () => {
    const store = await fixtureStore();
    const first = await store.put("catalog.json", text("v1"));
    await fixture().injectFault({
      filter: { bucket: store.bucketName, operation: "objects.insert" },
      action: "drop-response",
    });
    const second = await store.put("catalog.json", text("v2"), { ifMatch: first.version });
    expect(BigInt(second.version) > BigInt(first.version)).toBe(true);
    expect((await store.head("catalog.json"))?.version).toBe(second.version);
  });

  it("create-only resumable put (2 MiB in 256 KiB chunks): the lost final response resolves to success", async () => {
    const store = await fixtureStore({ resumableThreshold: 64 * 1024, chunkSize: 256 * 1024 });
    await fixture().injectFault({
      filter: { bucket: store.bucketName, operation: "resumable.put", finalizing: true },
      action: "drop-response",
    });
    const body = largeBody(2 * MiB, 5);
    const info = await store.put("big.npy", body, { ifNoneMatch: "*" });
    expect(info.size).toBe(2 * MiB);
    expect(info.version).toBe((await store.head("big.npy"))?.version);
    const fired = await fixture().firedFaults();
    expect(fired.some((f) => f.bucket === store.bucketName && f.action === "drop-response")).toBe(true);
  });

  it("without any SDK retry (autoRetry off), the store's own read-back still resolves the outcome", async () => {
    const bucket = await freshBucket();
    const storage = new Storage({
      ...fixtureStorageOptions(),
      retryOptions: { autoRetry: false, idempotencyStrategy: IdempotencyStrategy.RetryNever },
    });
    const store = new GcsStore({ bucket, prefix: "p", storage });
    await fixture().injectFault({ filter: { bucket, operation: "objects.insert" }, action: "drop-response" });
    const info = await store.put("k", text("landed"), { ifNoneMatch: "*" });
    expect(info.version).toBe((await store.head("k"))?.version);
    expect((await insertsOf(bucket, "p/k")).map((r) => r.status)).toEqual(["dropped"]);

    // A request dropped before it took effect: read-back finds nothing, the outcome stays unknown.
    await fixture().injectFault({ filter: { bucket, operation: "objects.insert" }, action: "drop-request" });
    const error = await store.put("never", text("x"), { ifNoneMatch: "*" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as Error).message).toContain('"never"');
    expect(await store.head("never")).toBeUndefined();
  });
});

describe("preconditions that really fail", () => {
  it("another writer's object: PreconditionFailedError, also after a lost response and retry", async () => {
    const store = await fixtureStore();
    const theirs = await store.put("catalog.json", text("theirs"));
    const error = await store
      .put("catalog.json", text("mine"), { ifNoneMatch: "*" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as PreconditionFailedError).key).toBe("catalog.json");
    expect((error as Error).cause).toBeDefined();

    // Stale ifMatch whose first attempt is dropped before it takes effect: still a precondition failure.
    await store.put("catalog.json", text("newer"));
    await fixture().injectFault({
      filter: { bucket: store.bucketName, operation: "objects.insert" },
      action: "drop-request",
    });
    const stale = await store
      .put("catalog.json", text("mine"), { ifMatch: theirs.version })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(PreconditionFailedError);
    expect(new TextDecoder().decode((await store.get("catalog.json")).bytes)).toBe("newer");
  });

  it("a resumable create-only put over an existing object fails at the session start", async () => {
    const store = await fixtureStore({ resumableThreshold: 1024, chunkSize: 256 * 1024 });
    await store.put("x", text("there"));
    const error = await store
      .put("x", largeBody(600 * 1024, 1), { ifNoneMatch: "*" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
  });
});

describe("transient failures (503)", () => {
  it("the SDK retries a small put, a chunk of a resumable put, a metadata read and a delete", async () => {
    const store = await fixtureStore({ resumableThreshold: 64 * 1024, chunkSize: 256 * 1024 });
    const f = fixture();
    await f.injectFault({
      filter: { bucket: store.bucketName, operation: "objects.insert" },
      action: { status: 503 },
      times: 2,
    });
    await store.put("small", text("ok"), { ifNoneMatch: "*" });
    await f.injectFault({
      filter: { bucket: store.bucketName, operation: "resumable.put", finalizing: false },
      action: { status: 503 },
    });
    const body = largeBody(MiB, 2);
    await store.put("large", body);
    expect((await store.get("large")).info.size).toBe(MiB);
    await f.injectFault({
      filter: { bucket: store.bucketName, operation: "objects.get" },
      action: { status: 503 },
    });
    expect((await store.head("small"))?.size).toBe(2);
    await f.injectFault({
      filter: { bucket: store.bucketName, operation: "objects.delete" },
      action: "drop-response",
    });
    await store.delete(["small"]);
    expect(await store.head("small")).toBeUndefined();
    const fired = (await f.firedFaults()).filter((x) => x.bucket === store.bucketName);
    expect(fired).toHaveLength(5);
  });

  it("503 beyond the SDK's retries: TransientStoreError that names the key and leaks no session URI", async () => {
    const store = await fixtureStore();
    await fixture().injectFault({
      filter: { bucket: store.bucketName, operation: "objects.insert" },
      action: { status: 503 },
      times: 10,
    });
    const error = await store.put("k", text("x"), { ifNoneMatch: "*" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as Error).message).toContain('"k"');
    expect((error as Error).message).not.toMatch(/upload_id|http:\/\//);
    expect(await store.head("k")).toBeUndefined();
  });

  it("the client the store makes keeps its retries on while many calls overlap", async () => {
    const store = await fixtureStore();
    expect(store.storage.retryOptions.idempotencyStrategy).toBe(IdempotencyStrategy.RetryAlways);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.all([store.put(`k${i}`, text("x")), store.delete([`k${i}`, `m${i}`])]),
      ),
    );
    expect(store.storage.retryOptions.autoRetry).toBe(true);
  });
});

describe("a commit over HTTP faults", () => {
  it("lost responses of the manifest and catalog puts and a 503 storm still commit exactly one row", async () => {
    const store = await fixtureStore();
    const f = fixture();
    const filter = (objectPrefix: string) => ({
      bucket: store.bucketName,
      objectPrefix: `prefix/${objectPrefix}`,
    });
    await f.injectFault({ filter: filter("ck/catalog.json"), action: "drop-response" });
    await f.injectFault({ filter: filter("ck/commits/"), action: "drop-response", times: 2 });
    await f.injectFault({ filter: filter("ck/"), action: { status: 503 }, times: 3 });
    const catalog = new CatalogClient({
      store,
      checkpoint: "ck",
      root: "ck",
      mode: "append",
      historySize: null,
      rank: 0,
      worldSize: 1,
      level: 2,
    });
    const body = text("state");
    const row = await catalog.commit({
      writeCount: 1,
      labels: {},
      metadata: {},
      states: { "demo.State": { path: "states/demo.State", schemaHash: "h" } },
      objects: [{ key: "states/demo.State/state.json", chunks: [body], size: body.byteLength }],
    });
    const fresh = new CatalogClient({
      store,
      checkpoint: "ck",
      root: "ck",
      mode: "append",
      historySize: null,
      rank: 0,
      worldSize: 1,
      level: 2,
    });
    expect((await fresh.rows()).map((r) => r.commitId)).toEqual([row.commitId]);
    await fresh.verify(row);
    expect(
      (await f.firedFaults()).filter((x) => x.bucket === store.bucketName).length,
    ).toBeGreaterThanOrEqual(4);
  });
});
