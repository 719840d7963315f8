/**
 * Security: no credential, token or signed URL in an error (message, stack, cause chain, every
 * own property), a warning or a stored object; keys validated before any I/O (proved by the
 * servers' request logs); decoding never touches a prototype and never evaluates anything; reads
 * bounded by the sizes the manifest declares.
 */
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import {
  CatalogClient,
  Checkpoint,
  CkptError,
  checkpointState,
  decodeValue,
  listAllArray,
  openStore,
  type Store,
} from "@ckpt/core";
import { FaultyStore } from "@ckpt/core/testing";
import { GcsStore } from "@ckpt/store-gcs";
import { S3Store } from "@ckpt/store-s3";
import { startFaultProxy } from "@ckpt/test-servers";
import {
  fixture,
  fixtureStorageOptions,
  freshBucket,
  radosgw,
  radosgwClientConfig,
} from "@ckpt/test-servers/vitest";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { forge, MeteredStore, overwrite, rowKeys } from "./support/store-tools.js";
import { Field, fillField, initialField } from "./support/workload.js";

/** A fake OAuth token handed to the GCS client; it must never surface anywhere. */
const GCS_TOKEN = `ya29.ckpt-test-${randomUUID()}`;

/** Everything an error carries: message, stack, cause chain, own properties (SDK metadata). */
function everything(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 12, showHidden: false, getters: false })];
  for (let cause: unknown = error, depth = 0; cause !== undefined && depth < 12; depth++) {
    if (cause instanceof Error) parts.push(cause.message, cause.stack ?? "");
    else parts.push(String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join("\n");
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

async function commitSome(checkpoint: Checkpoint, count: number): Promise<void> {
  await checkpoint.run(async (session) => {
    const field = session.bind(Field, initialField());
    for (let n = session.writeCount + 1; n <= count; n++) {
      fillField(field.value, n);
      await session.write({ step: n, note: "security" });
    }
  });
}

/** Every stored object under the store, as text. */
async function storedText(store: Store): Promise<string> {
  const texts: string[] = [];
  for (const info of await listAllArray(store, ""))
    texts.push(Buffer.from((await store.get(info.key)).bytes).toString("latin1"));
  return texts.join("\n");
}

describe("no secret in errors, warnings, logs or stored objects", () => {
  it("S3: the access key and secret key of the test server never appear", async () => {
    const server = radosgw();
    const secrets = [server.secretAccessKey, server.accessKeyId];
    const prefix = `reliability/security/${randomUUID()}`;
    const store = new S3Store({ bucket: server.bucket, prefix, clientConfig: radosgwClientConfig() });
    const warnings: string[] = [];
    const checkpoint = new Checkpoint("secret", {
      store,
      mode: "append",
      historySize: 2,
      warn: (m) => warnings.push(m),
    });
    await commitSome(checkpoint, 3);
    const errors: unknown[] = [];
    // A damaged object, a damaged catalog (a warning), a missing commit.
    const rows = await checkpoint.catalog();
    await overwrite(store, rowKeys("secret", rows[1]!).npy("a"), new Uint8Array(10));
    errors.push(await failure(new Checkpoint("secret", { store, warn: (m) => warnings.push(m) }).select(-1)));
    await overwrite(store, "secret/catalog.json", new TextEncoder().encode("{not json"));
    await new Checkpoint("secret", { store, mode: "append", warn: (m) => warnings.push(m) }).catalog();
    // A wrong secret key (signature mismatch), an unknown access key, a missing bucket.
    for (const clientConfig of [
      radosgwClientConfig({
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: `${server.secretAccessKey}x` },
      }),
      radosgwClientConfig({
        credentials: { accessKeyId: `${server.accessKeyId}Z`, secretAccessKey: server.secretAccessKey },
      }),
    ]) {
      const bad = new S3Store({ bucket: server.bucket, prefix, clientConfig });
      errors.push(await failure(new Checkpoint("secret", { store: bad }).catalog()));
      errors.push(await failure(bad.put("x/y", new Uint8Array(1))));
      await bad.close();
    }
    const missing = new S3Store({
      bucket: `missing-${randomUUID().slice(0, 8)}`,
      prefix,
      clientConfig: radosgwClientConfig(),
    });
    errors.push(await failure(missing.get("x")), await failure(missing.put("x", new Uint8Array(1))));
    await missing.close();
    // Through a proxy that throttles, fails and drops connections.
    const proxy = await startFaultProxy(server.endpoint);
    try {
      const throttled = new S3Store({
        bucket: server.bucket,
        prefix,
        clientConfig: radosgwClientConfig({ endpoint: proxy.endpoint, maxAttempts: 1 }),
      });
      proxy.arm({
        match: () => true,
        action: { kind: "status-before", status: 503, code: "SlowDown" },
        times: 1,
      });
      errors.push(await failure(throttled.put("x/y", new Uint8Array(1))));
      proxy.arm({ match: () => true, action: { kind: "drop-response" }, times: 1 });
      errors.push(await failure(throttled.get("secret/catalog.json")));
      await throttled.close();
    } finally {
      await proxy.close();
    }
    for (const error of errors) expect(error).toBeInstanceOf(CkptError);
    const haystack = [
      ...errors.map(everything),
      ...warnings,
      checkpoint.location,
      await checkpoint.format(),
      store.url,
    ];
    expect(warnings.length).toBeGreaterThan(0);
    const stored = await storedText(store);
    for (const secret of secrets) {
      for (const text of haystack)
        expect(text.includes(secret), `leaked in: ${text.slice(0, 300)}`).toBe(false);
      expect(stored.includes(secret), "a stored object holds a credential").toBe(false);
    }
    console.log(`[reliability] security s3: ${errors.length} errors and ${warnings.length} warnings grepped`);
    await store.close();
  });

  it("GCS: an OAuth token given to the client never appears", async () => {
    const bucket = await freshBucket("sec");
    const storageOptions = { ...fixtureStorageOptions(), token: GCS_TOKEN, useAuthWithCustomEndpoint: true };
    const store = new GcsStore({ bucket, prefix: "runs", storageOptions });
    const warnings: string[] = [];
    const checkpoint = new Checkpoint("secret", { store, mode: "append", warn: (m) => warnings.push(m) });
    await commitSome(checkpoint, 2);
    const errors: unknown[] = [];
    const rows = await checkpoint.catalog();
    await store.delete([rowKeys("secret", rows[1]!).npy("b")]);
    errors.push(await failure(new Checkpoint("secret", { store }).select(-1)));
    const missing = new GcsStore({ bucket: `missing-${randomUUID().slice(0, 8)}`, storageOptions });
    errors.push(await failure(missing.put("x", new Uint8Array(1))), await failure(missing.list("")));
    // Objects and the table first: the faults below stay armed on this bucket for whatever the
    // SDK did not retry (clearing them would clear other test files' faults too).
    expect((await storedText(store)).includes(GCS_TOKEN)).toBe(false);
    const table = await checkpoint.format();
    await fixture().injectFault({ filter: { bucket }, action: { status: 503 }, times: 100 });
    errors.push(await failure(store.get("secret/catalog.json")));
    await fixture().injectFault({ filter: { bucket }, action: "drop-request", times: 12 });
    // (the put's read-back meets the same dropped requests: the outcome stays unknown, an error)
    errors.push(await failure(store.put("x/y", new Uint8Array(1))));
    for (const error of errors) expect(error).toBeInstanceOf(CkptError);
    const haystack = [...errors.map(everything), ...warnings, checkpoint.location, table, store.url];
    for (const text of haystack)
      expect(text.includes(GCS_TOKEN), `leaked in: ${text.slice(0, 300)}`).toBe(false);
    console.log(`[reliability] security gcs: ${errors.length} errors grepped`);
  });

  it("a store URL with credentials in it is refused, and the message does not repeat them", async () => {
    for (const url of [
      "s3://AKIAEXAMPLE:hunter2secret@bucket/prefix",
      "gs://user:hunter2secret@bucket/prefix",
      "s3://bucket/prefix?endpoint=http://AKIAEXAMPLE:hunter2secret@127.0.0.1:1",
    ]) {
      const error = await failure(openStore(url));
      expect(error).toBeInstanceOf(CkptError);
      expect(everything(error)).not.toContain("hunter2secret");
    }
  });
});

describe("keys are validated before any I/O", () => {
  const badKeys = ["../escape", "a/../../b", "/absolute", "a//b", "a/\u0000/b", ""];

  it("S3: no request reaches the server for a bad key", async () => {
    const server = radosgw();
    const proxy = await startFaultProxy(server.endpoint);
    const store = new S3Store({
      bucket: server.bucket,
      prefix: "reliability/keys",
      clientConfig: radosgwClientConfig({ endpoint: proxy.endpoint }),
    });
    try {
      for (const key of badKeys) {
        for (const call of [
          () => store.put(key, new Uint8Array(1)),
          () => store.get(key),
          () => store.head(key),
          () => store.delete([key]),
        ])
          expect(((await failure(call())) as CkptError).code).toBe("E_INVALID_KEY");
      }
      expect(proxy.requests).toEqual([]);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("GCS: no request reaches the fixture for a bad key", async () => {
    const bucket = await freshBucket("keys");
    const store = new GcsStore({ bucket, storageOptions: fixtureStorageOptions() });
    const before = (await fixture().requests(bucket)).length;
    for (const key of badKeys)
      for (const call of [
        () => store.put(key, new Uint8Array(1)),
        () => store.get(key),
        () => store.delete([key]),
      ])
        expect(((await failure(call())) as CkptError).code).toBe("E_INVALID_KEY");
    expect((await fixture().requests(bucket)).length).toBe(before);
  });

  it("a commit naming an object outside its folder makes no store call at all", async () => {
    const store = new FaultyStore(await openStore(`memory://keys-${randomUUID()}`));
    const client = new CatalogClient({
      store,
      checkpoint: "k",
      root: "k",
      mode: "append",
      historySize: null,
      rank: 0,
      worldSize: 1,
      level: 2,
    });
    for (const key of ["../other/x.npy", "states/../../x", "manifest.json"]) {
      const error = await failure(
        client.commit({
          writeCount: 1,
          labels: {},
          metadata: {},
          states: {},
          objects: [{ key, chunks: [new Uint8Array(1)], size: 1 }],
        }),
      );
      expect((error as CkptError).code).toBe("E_INVALID_KEY");
    }
    expect(() => new Checkpoint("../escape")).toThrow(CkptError);
    expect(store.calls).toEqual([]);
  });
});

describe("decoding never touches a prototype and never evaluates anything", () => {
  const Info = checkpointState("reliability.Info", z.object({ info: z.record(z.string(), z.unknown()) }));

  it("__proto__ and constructor keys in a saved state stay plain own data", async () => {
    const store = await openStore(`memory://proto-${randomUUID()}`);
    const checkpoint = new Checkpoint("proto", { store, warn: () => {} });
    await checkpoint.run(async (session) => {
      session.bind(Info, {
        info: { aaaaaaaaa: { polluted: "yes" }, bbbbbbbbbbb: { prototype: { polluted: "yes" } } },
      });
      await session.write();
    });
    const [row] = await checkpoint.catalog();
    const key = `${rowKeys("proto", row!).folder}/states/reliability.Info/state.json`;
    const text = Buffer.from((await store.get(key)).bytes).toString("utf8");
    expect(text).toContain("aaaaaaaaa");
    const hostile = text.replace("aaaaaaaaa", "__proto__").replace("bbbbbbbbbbb", "constructor");
    await forge(store, "proto", row!.commitId, "states/reliability.Info/state.json", Buffer.from(hostile));
    let restored: Record<string, unknown> | undefined;
    const outcome = await (async () => {
      const session = await new Checkpoint("proto", { store, warn: () => {} }).select(-1);
      restored = session.bind(Info, { info: {} }).value.info;
    })().then(
      () => "restored",
      (error: unknown) => {
        expect(error).toBeInstanceOf(CkptError);
        return "refused";
      },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    if (outcome === "restored") {
      expect(Object.getPrototypeOf(restored)).toBe(Object.prototype);
      expect((restored as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyDescriptor(Object.prototype, "constructor")?.value).toBe(Object);
    }
    console.log(
      `[reliability] prototype keys: ${outcome}; own keys ${JSON.stringify(Object.getOwnPropertyNames(restored ?? {}))}`,
    );
  });

  it("code in a description or a .npy header is data, never run", async () => {
    const flag = globalThis as { __ckptEvaluated?: boolean };
    flag.__ckptEvaluated = false;
    const payload = "(globalThis.__ckptEvaluated = true)";
    const descriptions = [
      { kind: "function", source: `function () { ${payload} }` },
      { kind: payload },
      { kind: "date", value: payload },
      { kind: "bigint", value: payload },
      { kind: "typedarray", dtype: payload, blob: "x.npy" },
    ];
    for (const description of descriptions) {
      const outcome = (() => {
        try {
          return decodeValue(description, () => new Uint8Array(0), "state.hostile");
        } catch (error) {
          return error;
        }
      })();
      expect(outcome, JSON.stringify(description)).toBeInstanceOf(CkptError);
    }
    const header = `{'descr': ${payload}, 'fortran_order': __import__('os').system('true'), 'shape': (1,), }`;
    const npy = Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from("NUMPY"),
      Buffer.from([1, 0, header.length + 1, 0]),
      Buffer.from(`${header}\n`),
    ]);
    const outcome = (() => {
      try {
        return decodeValue(
          { kind: "typedarray", dtype: "float64", blob: "x.npy", length: 1 },
          () => npy,
          "state.hostile",
        );
      } catch (error) {
        return error;
      }
    })();
    expect(outcome).toBeInstanceOf(CkptError);
    expect(flag.__ckptEvaluated).toBe(false);
  });
});

describe("reads are bounded by the sizes the manifest declares", () => {
  it("every object of a restore is read with maxBytes = its declared size", async () => {
    const inner = await openStore(`memory://bounded-${randomUUID()}`);
    const writer = new Checkpoint("bounded", { store: inner, warn: () => {} });
    await commitSome(writer, 1);
    const metered = new MeteredStore(inner);
    const reader = new Checkpoint("bounded", { store: metered, warn: () => {} });
    const session = await reader.select(-1);
    session.bind(Field, initialField());
    await reader.verify(session.entry!);
    const client = new CatalogClient({
      store: inner,
      checkpoint: "bounded",
      root: "bounded",
      mode: "overwrite",
      historySize: 1,
      rank: 0,
      worldSize: 1,
      level: 2,
    });
    const manifest = await client.manifest(session.entry!.row);
    expect(metered.unboundedReads).toEqual([]);
    for (const object of manifest.objects)
      expect(metered.bounds.get(`bounded/commits/${session.commitId}/${object.key}`), object.key).toBe(
        object.size,
      );
  });
});
