import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { openStore, StoreConfigError } from "@ckpt/core";
import { radosgw, radosgwClient } from "@ckpt/test-servers/vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseS3Url, S3Store } from "../src/index.js";
import { emptyStore, uniquePrefix } from "./support/stores.js";

function configError(call: () => unknown): StoreConfigError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreConfigError);
    return error as StoreConfigError;
  }
  return expect.fail("expected a StoreConfigError");
}

describe("s3:// URLs", () => {
  it("splits bucket, prefix and client options", () => {
    const { options, clientConfig } = parseS3Url(
      "s3://my-bucket/runs/2026/?region=eu-west-1&endpoint=http://127.0.0.1:7480&forcePathStyle=true&multipartThreshold=67108864&partSize=8388608&partConcurrency=2&ifMatch=unquoted",
    );
    expect(options).toEqual({
      bucket: "my-bucket",
      prefix: "runs/2026",
      multipartThreshold: 67_108_864,
      partSize: 8_388_608,
      partConcurrency: 2,
      ifMatchQuoting: "unquoted",
    });
    expect(clientConfig).toEqual({
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:7480",
      forcePathStyle: true,
    });
  });

  it("a custom endpoint without a region gets us-east-1; a plain bucket URL leaves the region to the SDK", () => {
    expect(parseS3Url("s3://b/p?endpoint=http://localhost:9000").clientConfig.region).toBe("us-east-1");
    expect(parseS3Url("s3://bucket").clientConfig).toEqual({});
    expect(parseS3Url("s3://bucket").options).toEqual({ bucket: "bucket", prefix: "" });
  });

  it("refuses credentials, unknown parameters and bad values without echoing secrets", () => {
    const secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET";
    for (const url of [
      `s3://AKIDEXAMPLE:${secret}@bucket/prefix`,
      `s3://bucket/prefix?secretAccessKey=${secret}`,
      `s3://bucket/prefix?endpoint=http://user:${secret}@host:9000`,
    ]) {
      const error = configError(() => parseS3Url(url));
      expect(error.message).not.toContain(secret);
      expect(error.code).toBe("E_STORE_CONFIG");
    }
    expect(configError(() => parseS3Url("s3://bucket/p?regoin=x")).message).toContain('"regoin"');
    expect(configError(() => parseS3Url("s3://bucket/p?forcePathStyle=yes")).message).toContain(
      "forcePathStyle",
    );
    expect(configError(() => parseS3Url("s3://bucket/p?partSize=big")).message).toContain("partSize");
    expect(configError(() => parseS3Url("s3://bucket/p?ifMatch=maybe")).message).toContain("ifMatch");
    expect(configError(() => parseS3Url("s3:///prefix")).message).toContain("bucket");
    expect(configError(() => parseS3Url("s3://host:9000/p")).message).toContain("endpoint");
    expect(configError(() => parseS3Url("s3://bucket/p?endpoint=ftp://x")).message).toContain("endpoint");
  });

  it("store options are validated by name", () => {
    expect(configError(() => new S3Store({ bucket: "x" })).message).toContain('"bucket"');
    expect(configError(() => new S3Store({ bucket: "ok-bucket", partSize: 1024 })).message).toContain(
      '"partSize"',
    );
    expect(configError(() => new S3Store({ bucket: "ok-bucket", partConcurrency: 0 })).message).toContain(
      '"partConcurrency"',
    );
    expect(configError(() => new S3Store({ bucket: "ok-bucket", prefix: "a//b" })).message).toContain(
      '"prefix"',
    );
    expect(
      configError(() => new S3Store({ bucket: "ok-bucket", unknownOption: 1 } as never)).message,
    ).toContain("unknownOption");
    const store = new S3Store({
      bucket: "ok-bucket",
      prefix: "/runs/x/",
      clientConfig: { region: "us-east-1" },
    });
    expect(store.prefix).toBe("runs/x");
    expect(store.url).toBe("s3://ok-bucket/runs/x");
  });
});

describe("openStore on radosgw, credentials from the SDK's default chain", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('openStore("s3://…") registers on import and round-trips through the environment credentials', async () => {
    const server = radosgw();
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    const prefix = uniquePrefix("open-store");
    const store = await openStore(
      `s3://${server.bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&forcePathStyle=true`,
    );
    try {
      expect(store).toBeInstanceOf(S3Store);
      expect(store.url).toBe(`s3://${server.bucket}/${prefix}`);
      expect(store.url).not.toContain(server.accessKeyId);
      const put = await store.put("hello.txt", new TextEncoder().encode("hi"), { ifNoneMatch: "*" });
      expect((await store.head("hello.txt"))?.version).toBe(put.version);
      await emptyStore(store as S3Store);
    } finally {
      await store.close?.();
    }
  });

  it("close() destroys only a client the store created, never one it was given", async () => {
    const client = radosgwClient();
    const given = vi.spyOn(client, "destroy");
    const owned = new S3Store({ bucket: radosgw().bucket, clientConfig: { region: "us-east-1" } });
    const ownedDestroy = vi.spyOn(owned.client, "destroy");
    try {
      const store = new S3Store({ client, bucket: radosgw().bucket, prefix: uniquePrefix("given-client") });
      await store.put("k", new TextEncoder().encode("x"));
      await store.delete(["k"]);
      await store.close();
      expect(given).not.toHaveBeenCalled();
      const answer = await client.send(new HeadBucketCommand({ Bucket: radosgw().bucket }));
      expect(answer.$metadata.httpStatusCode).toBe(200);
      await owned.close();
      expect(ownedDestroy).toHaveBeenCalledOnce();
    } finally {
      client.destroy();
    }
  });
});
