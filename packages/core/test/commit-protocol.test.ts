import { describe, expect, it } from "vitest";
import { resolveOutcome } from "../src/commit/catalog-client.js";
import { CatalogClient, type CatalogOptions, type CommitRequest } from "../src/commit/index.js";
import {
  CheckpointCatalogError,
  CheckpointIntegrityError,
  PreconditionFailedError,
  StoreError,
  TransientStoreError,
} from "../src/errors.js";
import type { Body, PutOptions, Store } from "../src/store/index.js";
import { ForwardingStore } from "../src/testing/index.js";
import { CountingStore } from "./support/counting-store.js";
import { MapStore } from "./support/map-store.js";
import { overriding } from "./support/overriding.js";

const text = (value: string) => new TextEncoder().encode(value);

function client(store: Store, options: Partial<CatalogOptions> = {}): CatalogClient {
  return new CatalogClient({
    store,
    checkpoint: "run",
    root: "run",
    mode: "overwrite",
    historySize: null,
    rank: 0,
    worldSize: 1,
    level: 2,
    retry: { baseDelayMs: 1 },
    warn: () => {},
    ...options,
  });
}

/** A promise that waits until `open()` is called. */
function gate(): { readonly shut: Promise<void>; readonly open: () => void } {
  let open: () => void = () => {};
  const shut = new Promise<void>((done) => {
    open = done;
  });
  return { shut, open };
}

/** `store` with a `prepare` of its own (a ForwardingStore's is a getter). */
function withPrepare(store: Store, overrides: Pick<Store, "prepare">): Store {
  return Object.defineProperty(store, "prepare", { value: overrides.prepare });
}

function request(writeCount: number, extra: Partial<CommitRequest> = {}, objects = 2): CommitRequest {
  return {
    writeCount,
    labels: {},
    metadata: { leadTime: writeCount * 6 },
    states: { "demo.State": { path: "states/demo.State", schemaHash: "h1" } },
    objects: Array.from({ length: objects }, (_, index) => {
      // Rows with other labels hold other bytes, so no commit here reuses another's objects.
      const labels = extra.labels === undefined ? "" : ` ${JSON.stringify(extra.labels)}`;
      const bytes = text(`object ${index} of write ${writeCount}${labels}`);
      return { key: `states/demo.State/f${index}.npy`, chunks: [bytes], size: bytes.byteLength };
    }),
    ...extra,
  };
}

describe("CatalogClient commit (DESIGN §4)", () => {
  it("commits a row readable through rows, manifest, readObject and verify", async () => {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store);
    const row = await catalog.commit(request(3, { labels: { member: 1 } }));
    expect(row.commitId).toMatch(/^commit_00000003_[0-9a-f]{12}$/);
    expect(row).toMatchObject({ writeCount: 3, labels: { member: 1 }, stateIds: ["demo.State"] });
    const fresh = client(store);
    expect(await fresh.rows()).toEqual([row]);
    const manifest = await fresh.manifest(row);
    expect(manifest.objects.map((object) => object.key)).toEqual([
      "states/demo.State/f0.npy",
      "states/demo.State/f1.npy",
    ]);
    expect(new TextDecoder().decode(await fresh.readObject(manifest, "states/demo.State/f1.npy"))).toBe(
      'object 1 of write 3 {"member":1}',
    );
    await fresh.verify(row);
  });

  it("makes k + 2 store calls in 3 sequential steps when no other writer intervened", async () => {
    const store = new CountingStore(new MapStore({ pageSize: 3 }));
    const catalog = client(store, { mode: "append" });
    await catalog.rows();
    // The first commit of a new checkpoint creates its catalog, with no rows, before its manifest.
    await catalog.commit(request(1, {}, 1));
    expect(store.calls.map((call) => call.op)).toEqual(["get", "list", "put?", "put", "put?", "put?"]);
    for (const k of [0, 1, 5, 20]) {
      store.calls.length = 0;
      await catalog.commit(request(k + 2, {}, k));
      expect(store.calls.map((call) => call.op)).toEqual([...Array(k).fill("put"), "put?", "put?"]);
    }
  });

  it("a new checkpoint's catalog exists before its first manifest, so a reader never rebuilds a commit in flight", async () => {
    const inner = new MapStore({ pageSize: 3 });
    let manifestSeen: boolean | undefined;
    const store = overriding(inner, {
      put: async (key: string, body: Body, options?: PutOptions) => {
        if (key.endsWith("/manifest.json"))
          manifestSeen = (await inner.head("run/catalog.json")) !== undefined;
        return inner.put(key, body, options);
      },
    });
    await client(store, { mode: "append" }).commit(request(1));
    expect(manifestSeen).toBe(true);
  });

  it("a new checkpoint's catalog is created while the first commit's objects are put, not before them", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const { shut: catalogHeld, open: releaseCatalog } = gate();
    const objectsPutWhileCatalogHeld: string[] = [];
    let catalogDone = false;
    let manifestAfterCatalog: boolean | undefined;
    const store = overriding(inner, {
      put: async (key: string, body: Body, options?: PutOptions) => {
        if (key === "run/catalog.json" && options?.ifNoneMatch === "*") {
          await catalogHeld;
          const info = await inner.put(key, body, options);
          catalogDone = true;
          return info;
        }
        if (key.endsWith("/manifest.json")) manifestAfterCatalog = catalogDone;
        else if (key.includes("/commits/")) {
          objectsPutWhileCatalogHeld.push(key.slice(key.lastIndexOf("/") + 1));
          if (objectsPutWhileCatalogHeld.length === 2) releaseCatalog();
        }
        return inner.put(key, body, options);
      },
    });
    const row = await client(store, { mode: "append" }).commit(request(1));
    expect(objectsPutWhileCatalogHeld).toEqual(["f0.npy", "f1.npy"]);
    expect(manifestAfterCatalog).toBe(true);
    expect((await client(inner).rows()).map((found) => found.commitId)).toEqual([row.commitId]);
  });

  it("a first commit that finds the catalog just created by a writer of another mode fails before its manifest and deletes its objects", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const store = overriding(inner, {
      put: async (key: string, body: Body, options?: PutOptions) => {
        // Another writer, in append mode, creates the catalog between this writer's read and its creation.
        if (key === "run/catalog.json" && options?.ifNoneMatch === "*" && !(await inner.head(key)))
          await client(inner, { mode: "append" }).commit(request(7, { labels: { other: 1 } }));
        return inner.put(key, body, options);
      },
    });
    const writer = client(store, { mode: "overwrite" });
    await expect(writer.commit(request(1))).rejects.toMatchObject({ code: "E_OPTION" });
    const rows = await client(inner).rows();
    expect(rows.map((found) => found.writeCount)).toEqual([7]);
    const keys = [...inner.objects.keys()];
    expect(keys.filter((key) => key.includes("/commits/") && !key.includes(rows[0]!.commitId))).toEqual([]);
  });

  it("a store that prepares puts gets the manifest and the catalog prepared while an object is still being put, published only after every object", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const events: string[] = [];
    const { shut: objectHeld, open: releaseObject } = gate();
    const name = (key: string) => key.slice(key.lastIndexOf("/") + 1);
    const store: Store = withPrepare(
      overriding(inner, {
        put: async (key: string, body: Body, options?: PutOptions) => {
          if (key.endsWith("f1.npy")) await objectHeld;
          const info = await inner.put(key, body, options);
          events.push(`put ${name(key)}`);
          return info;
        },
      }),
      {
        prepare: async (key: string, body: Body, options?: PutOptions) => {
          events.push(`prepare ${name(key)}`);
          if (key.endsWith("manifest.json")) releaseObject();
          return {
            publish: async () => {
              events.push(`publish ${name(key)}`);
              return inner.put(key, body, options);
            },
            discard: async () => {
              events.push(`discard ${name(key)}`);
            },
          };
        },
      },
    );
    const writer = client(store, { mode: "append" });
    await writer.rows();
    await writer.commit(request(1));
    events.length = 0;
    const row = await writer.commit(request(2));
    expect(events).toEqual([
      "put f0.npy",
      "prepare manifest.json",
      "prepare catalog.json",
      "put f1.npy",
      "publish manifest.json",
      "publish catalog.json",
    ]);
    expect((await client(inner).rows()).at(-1)?.commitId).toBe(row.commitId);
  });

  it("a commit whose object put fails discards its prepared manifest and catalog: neither is published", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const events: string[] = [];
    const { shut: objectHeld, open: releaseObject } = gate();
    const store: Store = withPrepare(
      overriding(inner, {
        put: async (key: string, body: Body, options?: PutOptions) => {
          if (key.endsWith("f1.npy")) {
            await objectHeld;
            throw new CheckpointIntegrityError(key, "this put fails");
          }
          return inner.put(key, body, options);
        },
      }),
      {
        prepare: async (key: string, body: Body, options?: PutOptions) => {
          releaseObject();
          return {
            publish: async () => {
              events.push("publish");
              return inner.put(key, body, options);
            },
            discard: async () => {
              events.push("discard");
            },
          };
        },
      },
    );
    const writer = client(store, { mode: "append", retry: { attempts: 1, baseDelayMs: 1 } });
    await writer.rows();
    await expect(writer.commit(request(1))).rejects.toThrow(/this put fails/);
    expect(events).toEqual(["discard", "discard"]);
    expect([...inner.objects.keys()].filter((key) => key.includes("/commits/"))).toEqual([]);
  });

  it("a catalog prepared on a version another writer replaced meanwhile loses its swap when published; the commit re-reads and lands", async () => {
    const inner = new MapStore({ pageSize: 3 });
    let armed = false;
    let raced = false;
    const store = withPrepare(new ForwardingStore(inner), {
      prepare: async (key: string, body: Body, options?: PutOptions) => {
        if (key === "run/catalog.json" && armed && !raced) {
          raced = true;
          await client(inner, { mode: "append" }).commit(request(9, { labels: { other: 1 } }));
        }
        return { publish: () => inner.put(key, body, options), discard: async () => {} };
      },
    });
    const writer = client(store, { mode: "append" });
    await writer.rows();
    await writer.commit(request(1));
    armed = true;
    const row = await writer.commit(request(2));
    expect(raced).toBe(true);
    const rows = await client(inner).rows();
    expect(rows.map((found) => found.writeCount)).toEqual([1, 9, 2]);
    expect(rows.at(-1)?.commitId).toBe(row.commitId);
  });

  it("a prepared manifest or catalog that fails to publish is put whole, and the commit lands", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const failed: string[] = [];
    const store = withPrepare(new ForwardingStore(inner), {
      prepare: async (key: string) => ({
        publish: async () => {
          failed.push(key.slice(key.lastIndexOf("/") + 1));
          // What FsStore answers when its temp file was swept by another host meanwhile.
          throw new StoreError("E_IO", `Cannot put "${key}": ENOENT`, { key });
        },
        discard: async () => {},
      }),
    });
    const writer = client(store, { mode: "append", retry: { attempts: 1, baseDelayMs: 1 } });
    await writer.rows();
    await writer.commit(request(1));
    const row = await writer.commit(request(2));
    expect(failed).toEqual(["manifest.json", "catalog.json", "manifest.json", "catalog.json"]);
    const reader = client(inner);
    expect((await reader.rows()).map((found) => found.commitId).at(-1)).toBe(row.commitId);
    await reader.verify(row);
  });

  it("overwrite mode replaces the row with equal labels and deletes the retired commit, manifest first", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const store = new CountingStore(inner);
    const catalog = client(store);
    const first = await catalog.commit(request(1, { labels: { a: 1 } }));
    const other = await catalog.commit(request(1, { labels: { a: 2 } }));
    store.calls.length = 0;
    const second = await catalog.commit(request(2, { labels: { a: 1 } }));
    await catalog.settle();
    expect(store.calls.map((call) => call.op)).toEqual(["put", "put", "put?", "put?", "delete", "delete"]);
    expect(store.calls.at(-2)?.key).toContain(`run/commits/${first.commitId}/manifest.json`);
    expect((await client(inner).rows()).map((row) => row.commitId)).toEqual([
      other.commitId,
      second.commitId,
    ]);
    expect([...inner.objects.keys()].some((key) => key.includes(first.commitId))).toBe(false);
  });

  it("cleanup: background resolves the commit before deleting the retired commit; settle waits for it", async () => {
    const inner = new MapStore({ pageSize: 3 });
    let release: () => void = () => {};
    const gate = new Promise<void>((done) => {
      release = done;
    });
    const store = overriding(inner, {
      delete: async (keys: readonly string[]) => {
        await gate;
        return inner.delete(keys);
      },
    });
    const catalog = client(store, { cleanup: "background" });
    const first = await catalog.commit(request(1));
    const second = await catalog.commit(request(2));
    expect((await client(inner).rows()).map((row) => row.commitId)).toEqual([second.commitId]);
    expect([...inner.objects.keys()].some((key) => key.includes(first.commitId))).toBe(true);
    release();
    await catalog.settle();
    expect([...inner.objects.keys()].some((key) => key.includes(first.commitId))).toBe(false);
  });

  it("append mode trims only the new row's label group to historySize", async () => {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store, { mode: "append", historySize: 2 });
    const a1 = await catalog.commit(request(1, { labels: { g: "a" } }));
    const b1 = await catalog.commit(request(1, { labels: { g: "b" } }));
    const a2 = await catalog.commit(request(2, { labels: { g: "a" } }));
    const a3 = await catalog.commit(request(3, { labels: { g: "a" } }));
    await catalog.settle();
    expect((await catalog.rows()).map((row) => row.commitId)).toEqual([
      b1.commitId,
      a2.commitId,
      a3.commitId,
    ]);
    expect([...store.objects.keys()].some((key) => key.includes(a1.commitId))).toBe(false);
  });

  it("re-reads and re-applies on a conflict, losing no row of another writer", async () => {
    const store = new CountingStore(new MapStore({ pageSize: 3 }));
    const a = client(store, { mode: "append" });
    const b = client(store, { mode: "append" });
    const fromB1 = await b.commit(request(1, { labels: { w: "b" } }));
    await a.rows();
    const fromB2 = await b.commit(request(2, { labels: { w: "b" } }));
    store.calls.length = 0;
    const fromA = await a.commit(request(1, { labels: { w: "a" } }));
    // objects, manifest, failed swap, re-read, swap
    expect(store.calls.map((call) => call.op)).toEqual(["put", "put", "put?", "put?", "get", "put?"]);
    expect((await b.rows()).map((row) => row.commitId)).toEqual([
      fromB1.commitId,
      fromB2.commitId,
      fromA.commitId,
    ]);
  });

  it("a writer 40 updates behind (beyond the update log) still resolves its conflict and loses nothing", async () => {
    const store = new MapStore({ pageSize: 3 });
    const a = client(store, { mode: "append" });
    const b = client(store, { mode: "append" });
    const first = await a.commit(request(1, { labels: { w: "a" } }));
    const fromB: string[] = [];
    for (let i = 1; i <= 40; i++) fromB.push((await b.commit(request(i, { labels: { w: "b" } }))).commitId);
    const late = await a.commit(request(2, { labels: { w: "a" } }));
    expect((await client(store).rows()).map((row) => row.commitId)).toEqual([
      first.commitId,
      ...fromB,
      late.commitId,
    ]);
  });

  it("an abort before the commit point leaves the catalog unchanged and the objects removed", async () => {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store);
    const before = await catalog.commit(request(1));
    const controller = new AbortController();
    controller.abort();
    await expect(catalog.commit({ ...request(2), signal: controller.signal })).rejects.toMatchObject({
      code: "E_ABORTED",
    });
    expect(await client(store).rows()).toEqual([before]);
    expect([...store.objects.keys()].filter((key) => key.includes("commit_00000002"))).toEqual([]);
  });

  it("an abort while objects are in flight stops the commit promptly; the catalog is unchanged", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const before = await client(inner).commit(request(1));
    let started = 0;
    // Object puts hang until their signal aborts, as a slow upload would.
    const slow = overriding(inner, {
      put: (key: string, body: Parameters<Store["put"]>[1], options?: Parameters<Store["put"]>[2]) => {
        if (!key.includes("/states/")) return inner.put(key, body, options);
        started++;
        return new Promise((_, reject) =>
          options?.signal?.addEventListener("abort", () => reject(new Error("aborted", { cause: "x" })), {
            once: true,
          }),
        );
      },
    });
    const controller = new AbortController();
    const commit = client(slow).commit({ ...request(2, {}, 20), signal: controller.signal });
    await new Promise((done) => setTimeout(done, 5));
    controller.abort();
    await expect(commit).rejects.toThrow();
    expect(started).toBe(8); // bounded concurrency: the default 8 in flight, the rest never started
    expect(await client(inner).rows()).toEqual([before]);
    expect([...inner.objects.keys()].filter((key) => key.includes("commit_00000002"))).toEqual([]);
  });

  it("refuses metadata it could not read back, leaving no objects behind", async () => {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store);
    await expect(catalog.commit(request(1, { metadata: { bad: Number.NaN } }))).rejects.toBeInstanceOf(
      CheckpointCatalogError,
    );
    await expect(catalog.commit(request(-1))).rejects.toThrow(/writeCount/);
    expect([...store.objects.keys()].filter((key) => key.includes("/commits/"))).toEqual([]);
  });

  it("refuses object keys that leave the commit folder, before writing anything", async () => {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store);
    for (const key of ["../escape", "/abs", "manifest.json", "a//b"])
      await expect(
        catalog.commit({ ...request(1), objects: [{ key, chunks: [text("x")], size: 1 }] }),
      ).rejects.toMatchObject({ code: "E_INVALID_KEY" });
    expect(store.objects.size).toBe(0);
  });
});

describe("CatalogClient reading", () => {
  async function committed() {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store);
    const row = await catalog.commit(request(1));
    return { store, row, reader: client(store) };
  }

  it("names the key of a truncated or altered object (CheckpointIntegrityError)", async () => {
    const { store, row, reader } = await committed();
    const key = `run/commits/${row.commitId}/states/demo.State/f0.npy`;
    const entry = store.objects.get(key)!;
    entry.bytes = entry.bytes.slice(0, 3);
    const manifest = await reader.manifest(row);
    const error = await reader.readObject(manifest, "states/demo.State/f0.npy").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointIntegrityError);
    expect((error as CheckpointIntegrityError).key).toBe(key);
    await expect(reader.verify(row)).rejects.toThrow(key);
    entry.bytes = text("object 0 of write 2");
    await expect(reader.readObject(manifest, "states/demo.State/f0.npy")).rejects.toThrow(/checksum|bytes/);
  });

  it("refuses a manifest whose keys leave the commit folder or whose commit id differs", async () => {
    const { store, row, reader } = await committed();
    const key = `run/commits/${row.commitId}/manifest.json`;
    const manifest = JSON.parse(new TextDecoder().decode(store.objects.get(key)!.bytes));
    for (const bad of [
      { ...manifest, objects: [{ key: "../../other/catalog.json", size: 1, checksum: "crc32:00000000" }] },
      { ...manifest, objects: [{ key: "/etc/passwd", size: 1, checksum: "crc32:00000000" }] },
      { ...manifest, commitId: "commit_00000001_000000000000" },
      { ...manifest, objects: "nope" },
      { ...manifest, writeCount: 99 },
    ]) {
      store.objects.get(key)!.bytes = text(JSON.stringify(bad));
      await expect(client(store).manifest(row)).rejects.toBeInstanceOf(CheckpointIntegrityError);
    }
    void reader;
  });

  it("rebuilds a missing catalog from manifests in memory, keeping the writers' rows; repair writes it back", async () => {
    const store = new MapStore({ pageSize: 3 });
    const writer = client(store, { mode: "append", historySize: 2 });
    const rows = [];
    for (let i = 1; i <= 3; i++) rows.push(await writer.commit(request(i, { labels: { g: 1 } })));
    rows.push(await writer.commit(request(1, { labels: { g: 2 } })));
    const expected = await writer.rows();
    store.objects.delete("run/catalog.json");
    // A commit whose manifest is there but whose catalog swap never happened is picked up too,
    // as DESIGN §4 rebuilds from every manifest; an unreadable manifest is skipped with a warning.
    await store.put("run/commits/commit_00000009_aaaaaaaaaaaa/manifest.json", text("{"));
    const warnings: string[] = [];
    // The reader's own options do not matter: the manifests say how each writer kept rows.
    const reader = client(store, { mode: "overwrite", historySize: 1, warn: (m) => warnings.push(m) });
    const rebuilt = await reader.rows();
    expect(rebuilt.map((row) => row.commitId).sort()).toEqual(expected.map((row) => row.commitId).sort());
    // ordered by write count, then time
    expect(rebuilt.map((row) => row.writeCount)).toEqual([1, 2, 3]);
    expect(warnings).toContainEqual(expect.stringContaining("commit_00000009_aaaaaaaaaaaa"));
    // Reading never writes; repair does.
    expect(store.objects.has("run/catalog.json")).toBe(false);
    expect((await client(store).repair()).repaired).toBe(true);
    expect(store.objects.has("run/catalog.json")).toBe(true);
    expect(await client(store).rows()).toEqual(rebuilt);
  });

  it("rebuilds a damaged catalog in memory, and the next commit replaces it with compare-and-swap", async () => {
    const store = new MapStore({ pageSize: 3 });
    const row = await client(store).commit(request(1, { labels: { g: 1 } }));
    await store.put("run/catalog.json", text("{ not json"));
    expect(await client(store).rows()).toEqual([row]);
    expect(new TextDecoder().decode(store.objects.get("run/catalog.json")!.bytes)).toBe("{ not json");
    const next = await client(store).commit(request(2, { labels: { g: 2 } }));
    expect(await client(store).rows()).toEqual([row, next]);
    expect(
      JSON.parse(new TextDecoder().decode(store.objects.get("run/catalog.json")!.bytes)).rows,
    ).toHaveLength(2);
  });

  it("refuses a catalog written by a newer format instead of rebuilding over it", async () => {
    const store = new MapStore({ pageSize: 3 });
    await store.put("run/catalog.json", text(JSON.stringify({ format: "ckpt.catalog", version: 99 })));
    await expect(client(store).rows()).rejects.toBeInstanceOf(CheckpointCatalogError);
  });

  it("an empty checkpoint reads as no rows and writes nothing", async () => {
    const store = new MapStore({ pageSize: 3 });
    expect(await client(store).rows()).toEqual([]);
    expect(store.objects.size).toBe(0);
  });
});

describe("CatalogClient gc", () => {
  it("removes unreferenced commit folders older than the grace period, honouring dryRun", async () => {
    const store = new MapStore({ pageSize: 3 });
    const catalog = client(store);
    const kept = await catalog.commit(request(1));
    // an orphan: objects and manifest put, catalog never swapped
    await store.put("run/commits/commit_00000002_bbbbbbbbbbbb/states/x.npy", text("12345"));
    await store.put("run/commits/commit_00000002_bbbbbbbbbbbb/manifest.json", text("{}"));
    expect(await catalog.gc({ olderThan: 60_000 })).toEqual({
      removed: [],
      objects: 0,
      bytes: 0,
      leftovers: { count: 0, bytes: 0 },
    });
    expect(await catalog.gc({ olderThan: 0, dryRun: true })).toEqual({
      removed: ["commit_00000002_bbbbbbbbbbbb"],
      objects: 2,
      bytes: 7,
      leftovers: { count: 0, bytes: 0 },
    });
    expect(store.objects.has("run/commits/commit_00000002_bbbbbbbbbbbb/states/x.npy")).toBe(true);
    expect((await catalog.gc({ olderThan: 0 })).removed).toEqual(["commit_00000002_bbbbbbbbbbbb"]);
    expect([...store.objects.keys()].filter((key) => key.startsWith("run/commits/"))).toEqual(
      [...store.objects.keys()].filter((key) => key.includes(kept.commitId)),
    );
    await catalog.verify(kept);
  });
});

describe("CatalogClient unknown outcomes", () => {
  /** Fails the n-th put matching `match` after it took effect, as a lost response would. */
  /** Fails the first put matching `match`, before or after it took effect, with `error`. */
  function losingStore(
    inner: Store,
    match: (key: string) => boolean,
    when: "before" | "after",
    error: (key: string) => Error = (key) => new TransientStoreError(key, "injected"),
  ): Store {
    let armed = true;
    return overriding(inner, {
      put: async (...args: Parameters<Store["put"]>) => {
        if (armed && match(args[0])) {
          armed = false;
          if (when === "after") await inner.put(...args);
          throw error(args[0]);
        }
        return inner.put(...args);
      },
    });
  }

  it("a lost race reported as a 5xx (radosgw's If-Match losers) counts as a conflict, not a failure", async () => {
    const inner = new MapStore({ pageSize: 3 });
    const other = client(inner, { mode: "append" });
    let races = 0;
    const fromB: string[] = [];
    const store = overriding(inner, {
      put: async (key, body, options) => {
        if (!key.endsWith("catalog.json")) return inner.put(key, body, options);
        // Another writer gets in first, ten times in a row (twice the retry budget for real failures).
        if (races++ < 10) fromB.push((await other.commit(request(races, { labels: { w: "b" } }))).commitId);
        try {
          return await inner.put(key, body, options);
        } catch (error) {
          if (error instanceof PreconditionFailedError)
            throw new TransientStoreError(key, "HTTP 500 UnknownError");
          throw error;
        }
      },
    });
    // (The catalog exists first: a rebuild of a missing one would pick up A's manifest in flight.)
    fromB.push((await other.commit(request(0, { labels: { w: "b" } }))).commitId);
    const a = client(store, { mode: "append" });
    await a.rows();
    const fromA = await a.commit(request(1, { labels: { w: "a" } }));
    expect((await client(inner).rows()).map((row) => row.commitId)).toEqual([...fromB, fromA.commitId]);
  });

  const failures: Record<string, (key: string) => Error> = {
    TransientStoreError: (key) => new TransientStoreError(key, "injected"),
    "an SDK's AbortError (request timeout)": () =>
      Object.assign(new Error("timed out"), { name: "AbortError" }),
    "a raw 503": () =>
      Object.assign(new Error("Service Unavailable"), { $metadata: { httpStatusCode: 503 } }),
  };
  for (const [what, error] of Object.entries(failures))
    for (const when of ["before", "after"] as const) {
      it(`a catalog put failing ${when} it took effect (${what}) is resolved by reading back`, async () => {
        const inner = new MapStore({ pageSize: 3 });
        const catalog = client(
          losingStore(inner, (key) => key.endsWith("catalog.json"), when, error),
          { mode: "append" },
        );
        await catalog.rows();
        const row = await catalog.commit(request(1));
        expect((await client(inner).rows()).map((r) => r.commitId)).toEqual([row.commitId]);
      });
      it(`a manifest put failing ${when} it took effect (${what}) is resolved by reading back`, async () => {
        const inner = new MapStore({ pageSize: 3 });
        const catalog = client(
          losingStore(inner, (key) => key.endsWith("manifest.json"), when, error),
          { mode: "append" },
        );
        const row = await catalog.commit(request(1));
        await client(inner).verify(row);
      });
    }
});

describe("resolveOutcome", () => {
  const file = (seq: number, updates: string[], commitIds: string[] = []) => ({
    format: "ckpt.catalog" as const,
    version: 1 as const,
    checkpoint: "run",
    seq,
    updates,
    rows: commitIds.map((commitId) => ({
      commitId,
      labels: {},
      metadata: {},
      metadataKeys: [],
      writeCount: 1,
      savedAt: "2026-01-01T00:00:00.000Z",
      rank: 0,
      worldSize: 1,
      stateIds: [],
    })),
  });
  const mine = "commit_00000001_aaaaaaaaaaaa";

  it("tells landed, not landed and unknown apart from the update log", () => {
    expect(resolveOutcome(undefined, "u", 1, mine)).toBe("not-landed");
    expect(resolveOutcome(file(3, ["x", "u", "y"]), "u", 2, mine)).toBe("landed");
    expect(resolveOutcome(file(3, ["x", "z", "y"], [mine]), "u", 2, mine)).toBe("landed");
    expect(resolveOutcome(file(1, ["y"]), "u", 2, mine)).toBe("not-landed");
    expect(resolveOutcome(file(3, ["x", "z", "y"]), "u", 2, mine)).toBe("not-landed");
    expect(resolveOutcome(file(40, ["x", "z"]), "u", 2, mine)).toBe("unknown");
  });
});
