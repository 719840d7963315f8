// GcsStore construction: options validation, gs:// URLs, openStore registration, and the two ways
// of pointing the SDK at another endpoint (apiEndpoint, STORAGE_EMULATOR_HOST).
import { openStore, StoreConfigError, TransientStoreError } from "@ckpt/core";
import { fixture, fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { Storage } from "@google-cloud/storage";
import { afterEach, describe, expect, inject, it } from "vitest";
import { GCS_RETRY_DEFAULTS, GcsStore, parseGcsUrl } from "../src/index.js";

const text = (value: string) => new TextEncoder().encode(value);

function configError(run: () => unknown): StoreConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreConfigError);
    return error as StoreConfigError;
  }
  return expect.fail("expected a StoreConfigError");
}

describe("options", () => {
  it("holds the prefix without slashes around it, as S3Store does, and describes itself as a gs:// URL", () => {
    for (const prefix of ["runs/a", "/runs/a", "runs/a/", "/runs/a/"]) {
      const store = new GcsStore({ bucket: "my-bucket", prefix });
      expect(store.prefix).toBe("runs/a");
      expect(store.url).toBe("gs://my-bucket/runs/a");
    }
    expect(new GcsStore({ bucket: "my-bucket" }).prefix).toBe("");
    expect(new GcsStore({ bucket: "my-bucket", prefix: "/" }).url).toBe("gs://my-bucket/");
  });

  it("stores keys under the prefix and a slash, whichever way the prefix was written", async () => {
    const bucket = await freshBucket();
    const raw = new Storage(fixtureStorageOptions());
    for (const prefix of ["runs/a", "/runs/a/"]) {
      const store = new GcsStore({ bucket, prefix, storageOptions: fixtureStorageOptions() });
      await store.put(`k${prefix.length}`, text("v"));
      expect((await store.list("")).items.map((item) => item.key)).toContain(`k${prefix.length}`);
    }
    const [files] = await raw.bucket(bucket).getFiles({ prefix: "runs/" });
    expect(files.map((file) => file.name).sort()).toEqual(["runs/a/k6", "runs/a/k8"]);
  });

  it("rejects bad options with a StoreConfigError that names the option", () => {
    expect(configError(() => new GcsStore({ bucket: "Bad_Bucket" })).message).toContain('"bucket"');
    expect(configError(() => new GcsStore({ bucket: "ok-bucket", chunkSize: 1000 })).message).toContain(
      '"chunkSize"',
    );
    expect(configError(() => new GcsStore({ bucket: "ok-bucket", prefix: "a/../b" })).message).toContain(
      '"prefix"',
    );
    const unknown = { bucket: "ok-bucket", region: "x" } as unknown as ConstructorParameters<
      typeof GcsStore
    >[0];
    expect(configError(() => new GcsStore(unknown)).message).toContain("region");
  });

  it("uses a ready client as it is", () => {
    const storage = new Storage({ apiEndpoint: "http://127.0.0.1:1" });
    expect(new GcsStore({ bucket: "b-1", storage }).storage).toBe(storage);
  });
});

describe("gs:// URLs", () => {
  it("parses bucket, prefix and query options", () => {
    expect(parseGcsUrl("gs://bkt/runs/x?apiEndpoint=http://h:1&chunkSize=524288")).toEqual({
      bucket: "bkt",
      prefix: "runs/x",
      storageOptions: { apiEndpoint: "http://h:1" },
      chunkSize: 524288,
    });
  });

  it("refuses credentials, unknown parameters and a missing bucket, without echoing secrets", () => {
    const withSecret = configError(() => parseGcsUrl("gs://user:s3cret@bkt/p"));
    expect(withSecret.message).not.toContain("s3cret");
    expect(configError(() => parseGcsUrl("gs://bkt/p?colour=red")).message).toContain('"colour"');
    expect(configError(() => parseGcsUrl("gs:///p")).message).toContain("bucket");
  });

  it("openStore opens gs:// URLs once the package is imported", async () => {
    const bucket = await freshBucket();
    const endpoint = encodeURIComponent(inject("gcsServerUrl"));
    const store = await openStore(`gs://${bucket}/opened?apiEndpoint=${endpoint}`);
    expect(store).toBeInstanceOf(GcsStore);
    expect(store.url).toBe(`gs://${bucket}/opened`);
    await store.put("k", text("v"));
    expect(new TextDecoder().decode((await store.get("k")).bytes)).toBe("v");
  });
});

describe("endpoints", () => {
  const saved = process.env.STORAGE_EMULATOR_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = saved;
  });

  it("honours STORAGE_EMULATOR_HOST (the SDK then drops /storage/v1 from its paths)", async () => {
    const bucket = await freshBucket();
    process.env.STORAGE_EMULATOR_HOST = inject("gcsServerUrl");
    const store = GcsStore.fromUrl(`gs://${bucket}/env`);
    const info = await store.put("a", text("via env"), { ifNoneMatch: "*" });
    expect((await store.head("a"))?.version).toBe(info.version);
    expect((await store.list("")).items.map((item) => item.key)).toEqual(["a"]);
  });

  it("honours apiEndpoint in storageOptions", async () => {
    const bucket = await freshBucket();
    const store = new GcsStore({ bucket, storageOptions: fixtureStorageOptions() });
    await store.put("a", text("via option"));
    expect((await store.get("a")).info.size).toBe(10);
  });
});

describe("retries of a store-made client", () => {
  afterEach(() => fixture().clearFaults());

  it("retry a failing call once (GCS_RETRY_DEFAULTS), and the error carries the status and the server's message", async () => {
    const bucket = await freshBucket("retries");
    const { retryOptions: _fixtureRetries, ...endpoint } = fixtureStorageOptions();
    const store = new GcsStore({ bucket, prefix: "r", storageOptions: endpoint });
    await fixture().injectFault({
      filter: { bucket, operation: "objects.get" },
      action: { status: 503 },
      times: 50,
    });
    const error = await store.head("key").catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as Error).message).toContain("HTTP 503");
    const reads = (await fixture().requests(bucket)).filter((request) => request.operation === "objects.get");
    expect(reads).toHaveLength(GCS_RETRY_DEFAULTS.maxRetries + 1);
  });
});
