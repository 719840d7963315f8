import { inspect } from "node:util";
import {
  NotFoundError,
  PreconditionFailedError,
  StoreConfigError,
  StoreError,
  TransientStoreError,
} from "@ckpt/core";
import { conditionalPut, type FaultProxy } from "@ckpt/test-servers";
import { radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../src/index.js";
import { failure, useFaultProxy } from "./support/proxied.js";
import { emptyStore, radosgwStore, uniquePrefix } from "./support/stores.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function statusOfCause(error: unknown): number | undefined {
  return (error as { cause?: { $metadata?: { httpStatusCode?: number } } }).cause?.$metadata?.httpStatusCode;
}

describe("error mapping against radosgw", () => {
  let store: S3Store;
  beforeAll(() => {
    store = radosgwStore("errors");
  });
  afterAll(async () => {
    await emptyStore(store);
    await store.close();
  });

  it("ifNoneMatch on an existing key: PreconditionFailedError naming the key, the 412 as cause", async () => {
    await store.put("exists", utf8("a"));
    const error = await failure(() => store.put("exists", utf8("b"), { ifNoneMatch: "*" }));
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as PreconditionFailedError).message).toContain('"exists"');
    expect(statusOfCause(error)).toBe(412);
    expect(text((await store.get("exists")).bytes)).toBe("a");
  });

  it("ifMatch on a missing key (radosgw answers 412, AWS 404): PreconditionFailedError, nothing created", async () => {
    const other = await store.put("other", utf8("x"));
    const error = await failure(() => store.put("missing", utf8("b"), { ifMatch: other.version }));
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(await store.head("missing")).toBeUndefined();
  });

  it("get of a missing key: NotFoundError with the SDK's NoSuchKey as cause; head: undefined", async () => {
    const error = await failure(() => store.get("nope/nothing"));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).key).toBe("nope/nothing");
    expect((error as NotFoundError).message).toContain(store.url);
    expect(((error as NotFoundError).cause as Error).name).toBe("NoSuchKey");
    expect(await store.head("nope/nothing")).toBeUndefined();
  });

  it("a missing bucket is a StoreConfigError naming the bucket", async () => {
    const lost = new S3Store({ bucket: "no-such-bucket-here", clientConfig: radosgwClientConfig() });
    try {
      const error = await failure(() => lost.put("k", utf8("x")));
      expect(error).toBeInstanceOf(StoreConfigError);
      expect((error as Error).message).toContain('"no-such-bucket-here"');
    } finally {
      await lost.close();
    }
  });

  it("a failure carries the server's error code and message, and the SDK error as cause", async () => {
    const denied = new S3Store({
      bucket: radosgw().bucket,
      prefix: uniquePrefix("denied"),
      clientConfig: radosgwClientConfig({
        credentials: { accessKeyId: "CKPTOTHERKEY00000001", secretAccessKey: "wrong" },
        maxAttempts: 1,
      }),
    });
    try {
      const error = (await failure(() => denied.list(""))) as StoreError;
      const cause = error.cause as { name: string; message: string };
      expect(cause.name).toMatch(/InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/);
      expect(error.message).toContain(cause.name);
      expect(error.message).toContain("HTTP 403");
      if (cause.message !== "" && cause.message !== "UnknownError")
        expect(error.message).toContain(cause.message);
    } finally {
      await denied.close();
    }
  });

  it("a client without a region: StoreConfigError saying where to give one, not a bare code", async () => {
    const saved = { region: process.env.AWS_REGION, fallback: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const { region: _unused, ...withoutRegion } = radosgwClientConfig();
    const lost = new S3Store({ bucket: radosgw().bucket, clientConfig: withoutRegion });
    try {
      const error = await failure(() => lost.list(""));
      expect(error).toBeInstanceOf(StoreConfigError);
      expect((error as Error).message).toMatch(/region is missing.*\?region=/);
      expect(((error as Error).cause as Error).message).toMatch(/Region is missing/);
    } finally {
      await lost.close();
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
      if (saved.fallback !== undefined) process.env.AWS_DEFAULT_REGION = saved.fallback;
    }
  });

  it("wrong credentials: E_ACCESS_DENIED, and no key id, secret or signature in message or stack", async () => {
    const accessKeyId = "CKPTWRONGKEYID0000001";
    const secretAccessKey = "ckpt-secret-that-must-never-be-printed";
    const denied = new S3Store({
      bucket: radosgw().bucket,
      prefix: uniquePrefix("denied"),
      clientConfig: radosgwClientConfig({ credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }),
    });
    try {
      for (const call of [() => denied.put("k", utf8("x")), () => denied.get("k"), () => denied.list("")]) {
        const error = (await failure(call)) as StoreError;
        expect(error).toBeInstanceOf(StoreError);
        expect(error.code).toBe("E_ACCESS_DENIED");
        for (const shown of [error.message, String(error.stack)]) {
          expect(shown).not.toContain(accessKeyId);
          expect(shown).not.toContain(secretAccessKey);
          expect(shown).not.toMatch(/Signature=|X-Amz-Credential|Authorization/i);
        }
        // The secret never leaves the client, so not even the full inspected error holds it.
        expect(inspect(error, { depth: 8 })).not.toContain(secretAccessKey);
      }
    } finally {
      await denied.close();
    }
  });

  it("radosgw's empty ETag after CompleteMultipartUpload is replaced by the HeadObject one", async () => {
    const big = new S3Store({
      bucket: radosgw().bucket,
      prefix: uniquePrefix("multipart-etag"),
      clientConfig: radosgwClientConfig(),
      multipartThreshold: 5 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
    });
    try {
      const body = new Uint8Array(11 * 1024 * 1024).map((_, i) => i % 251);
      const put = await big.put("multi.bin", body);
      expect(put.version).not.toBe("");
      expect(put.version).toMatch(/-3"?$/); // a multipart ETag of 3 parts
      expect((await big.head("multi.bin"))?.version).toBe(put.version);
      expect(Buffer.from((await big.get("multi.bin")).bytes).equals(Buffer.from(body))).toBe(true);
      const refused = await failure(() => big.put("multi.bin", body, { ifMatch: put.version }));
      expect((refused as StoreError).code).toBe("E_PRECONDITION_UNSUPPORTED");
      expect((refused as StoreError).message).toContain("multipart threshold");
      expect((await big.head("multi.bin"))?.version).toBe(put.version);
      await emptyStore(big);
    } finally {
      await big.close();
    }
  });
});

describe("If-Match quoting (radosgw compares ETags without quotes)", () => {
  for (const [quoting, works] of [
    ["auto", true],
    ["unquoted", true],
    ["quoted", false],
  ] as const)
    it(`ifMatchQuoting "${quoting}": ${works ? "an update from the current version succeeds" : "radosgw refuses the quoted ETag"}`, async () => {
      const store = radosgwStore("quoting", { ifMatchQuoting: quoting });
      try {
        const first = await store.put("k", utf8("1"));
        expect(first.version.startsWith('"')).toBe(true); // what S3 returns, kept as the version
        const call = () => store.put("k", utf8("2"), { ifMatch: first.version });
        if (works) {
          const second = await call();
          expect(text((await store.get("k")).bytes)).toBe("2");
          // Detected once, then used directly: a chain of updates keeps working.
          const third = await store.put("k", utf8("3"), { ifMatch: second.version });
          expect((await store.head("k"))?.version).toBe(third.version);
        } else {
          expect(await failure(call)).toBeInstanceOf(PreconditionFailedError);
          expect(text((await store.get("k")).bytes)).toBe("1");
        }
        await emptyStore(store);
      } finally {
        await store.close();
      }
    });
});

describe("unknown outcomes and retries, through a fault-injecting proxy", () => {
  const proxied = useFaultProxy();
  const { puts } = proxied;
  let proxy: FaultProxy;
  let store: S3Store;
  beforeAll(() => {
    proxy = proxied.proxy();
    store = proxied.store("faults");
  });

  it("a conditional put whose response is lost after it landed is sent once and resolved by reading back", async () => {
    const old = await store.put("lost", utf8("old"));
    proxy.reset();
    proxy.arm({ match: conditionalPut("if-match"), action: { kind: "drop-response" } });
    // The SDK would re-send after the dropped connection; the re-sent put would then fail its own
    // If-Match and report a 412 for a write that happened.
    const put = await store.put("lost", utf8("new"), { ifMatch: old.version });
    expect(puts()).toHaveLength(1);
    expect(text((await store.get("lost")).bytes)).toBe("new");
    expect(put.version).toBe((await store.head("lost"))?.version);
  });

  it("a conditional put answered 500 after it landed: sent once, read back as a success", async () => {
    proxy.arm({
      match: conditionalPut("if-none-match"),
      action: { kind: "status-after", status: 500, code: "InternalError" },
    });
    const put = await store.put("after-500", utf8("mine"), { ifNoneMatch: "*" });
    expect(puts()).toHaveLength(1);
    expect(put.version).toBe((await store.head("after-500"))?.version);
  });

  it("a conditional put failing with 503 before it reached the server: TransientStoreError, sent once, nothing written", async () => {
    const old = await store.put("before-503", utf8("old"));
    proxy.reset();
    proxy.arm({
      match: conditionalPut("if-match"),
      action: { kind: "status-before", status: 503, code: "SlowDown" },
    });
    const error = await failure(() => store.put("before-503", utf8("new"), { ifMatch: old.version }));
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).message).toContain("may or may not have taken effect");
    expect((error as TransientStoreError).key).toBe("before-503");
    expect(puts()).toHaveLength(1);
    expect(text((await store.get("before-503")).bytes)).toBe("old");
  });

  it("an unconditional put is still retried by the SDK after a 503", async () => {
    proxy.arm({
      match: (r) => r.method === "PUT",
      action: { kind: "status-before", status: 503, code: "SlowDown" },
    });
    await store.put("retried", utf8("x"));
    expect(puts().length).toBeGreaterThanOrEqual(2);
    expect(text((await store.get("retried")).bytes)).toBe("x");
  });

  it("409 ConditionalRequestConflict and a 404 NoSuchKey on If-Match (AWS's answers) are PreconditionFailedError", async () => {
    const old = await store.put("aws-style", utf8("old"));
    proxy.reset();
    proxy.arm({
      match: conditionalPut("if-none-match"),
      action: { kind: "status-before", status: 409, code: "ConditionalRequestConflict" },
    });
    expect(await failure(() => store.put("aws-style-new", utf8("x"), { ifNoneMatch: "*" }))).toBeInstanceOf(
      PreconditionFailedError,
    );
    proxy.arm({
      match: conditionalPut("if-match"),
      action: { kind: "status-before", status: 404, code: "NoSuchKey" },
    });
    expect(await failure(() => store.put("aws-style", utf8("y"), { ifMatch: old.version }))).toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(puts()).toHaveLength(2);
    expect(text((await store.get("aws-style")).bytes)).toBe("old");
  });

  it("reads failing with 503 every time end as TransientStoreError after the SDK's retries", async () => {
    await store.put("flaky", utf8("x"));
    proxy.reset();
    proxy.arm({
      match: (r) => r.method === "GET",
      action: { kind: "status-before", status: 503, code: "ServiceUnavailable" },
      times: Number.POSITIVE_INFINITY,
    });
    const error = await failure(() => store.get("flaky"));
    expect(error).toBeInstanceOf(TransientStoreError);
    expect(proxy.requests.filter((r) => r.method === "GET").length).toBeGreaterThan(1);
  });

  it("per-key DeleteObjects errors are reported naming the keys; NoSuchKey is not an error", async () => {
    await store.put("del/a", utf8("a"));
    await store.put("del/b", utf8("b"));
    proxy.reset();
    const full = `${store.prefix}/`;
    proxy.arm({
      match: (r) => r.method === "POST" && r.path.includes("delete"),
      action: {
        kind: "replace-response",
        status: 200,
        body: () =>
          `<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>${full}del/a</Key><Code>AccessDenied</Code><Message>no</Message></Error><Error><Key>${full}del/zz</Key><Code>NoSuchKey</Code><Message>gone</Message></Error></DeleteResult>`,
      },
    });
    const error = (await failure(() => store.delete(["del/a", "del/b", "del/zz"]))) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.code).toBe("E_DELETE_FAILED");
    expect(error.message).toContain('"del/a" (AccessDenied)');
    expect(error.message).not.toContain("del/zz");
    expect(error.key).toBe("del/a");
  });

  it("deletes more than 1,000 keys in batches of at most 1,000", async () => {
    const keys = Array.from({ length: 2_100 }, (_, i) => `batch/${String(i).padStart(5, "0")}`);
    const missing = keys.filter((_, i) => i % 2 === 1);
    await Promise.all(
      keys
        .filter((_, i) => i % 2 === 0)
        .slice(0, 50)
        .map((key) => store.put(key, utf8(key))),
    );
    proxy.reset();
    await store.delete([...keys, ...missing]);
    const posts = proxy.requests.filter((r) => r.method === "POST" && r.path.includes("delete"));
    expect(posts).toHaveLength(3);
    expect((await store.list("batch/")).items).toEqual([]);
  });
});
