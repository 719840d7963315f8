// S3Store.sweep against radosgw: an incomplete multipart upload (a writer killed mid-put) is
// aborted once older than the grace period, and a checkpoint's gc does it under its folder.
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { bindCheckpointState, Checkpoint, checkpointState } from "@ckpt/core";
import { radosgwClient } from "@ckpt/test-servers/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { S3Store } from "../src/index.js";
import { emptyStore, radosgwStore } from "./support/stores.js";

const MiB = 1024 * 1024;

describe("S3Store.sweep (radosgw)", () => {
  let client: S3Client;
  let store: S3Store;
  beforeAll(() => {
    client = radosgwClient();
    store = radosgwStore("sweep");
  });
  afterAll(async () => {
    await emptyStore(store);
    await store.close();
    client.destroy();
  });

  /** Starts a multipart upload of `key` (under the store's prefix) with one 5 MiB part, and leaves it open. */
  async function openUpload(key: string): Promise<string> {
    const Key = `${store.prefix}/${key}`;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key }));
    await client.send(
      new UploadPartCommand({
        Bucket: store.bucket,
        Key,
        UploadId,
        PartNumber: 1,
        Body: new Uint8Array(5 * MiB).fill(7),
      }),
    );
    return UploadId!;
  }

  async function openUploads(prefix: string): Promise<string[]> {
    const page = await client.send(
      new ListMultipartUploadsCommand({ Bucket: store.bucket, Prefix: `${store.prefix}/${prefix}` }),
    );
    return (page.Uploads ?? []).map((upload) => upload.Key!.slice(store.prefix.length + 1)).sort();
  }

  it("aborts incomplete uploads under the prefix older than the grace period, counting their parts' bytes", async () => {
    await openUpload("a/one.bin");
    await openUpload("a/two.bin");
    await openUpload("b/other.bin");
    // radosgw records the initiation time in whole seconds: let the uploads age past 0.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.sweep("a/", { olderThan: 3_600_000 })).toEqual({ count: 0, bytes: 0 });
    expect(await store.sweep("a/", { olderThan: 0, dryRun: true })).toEqual({ count: 2, bytes: 10 * MiB });
    expect(await openUploads("")).toEqual(["a/one.bin", "a/two.bin", "b/other.bin"]);
    expect(await store.sweep("a/", { olderThan: 0 })).toEqual({ count: 2, bytes: 10 * MiB });
    expect(await openUploads("")).toEqual(["b/other.bin"]);
    expect(await store.sweep("", { olderThan: 0 })).toEqual({ count: 1, bytes: 5 * MiB });
    expect(await openUploads("")).toEqual([]);
  });

  it("checkpoint.gc({ olderThan: 0 }) aborts an upload a killed writer left in the checkpoint's folder", async () => {
    const Counter = checkpointState("sweep.Counter", z.object({ n: z.number() }));
    const checkpoint = new Checkpoint("swept", { store });
    await checkpoint.run(async (session) => {
      bindCheckpointState(Counter, { n: 1 });
      await session.write({});
    });
    const objectKey = `${checkpoint.root}/commits/commit_00000009_000000000000/states/x/a.npy`;
    await openUpload(objectKey);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await openUploads(`${checkpoint.root}/`)).toEqual([objectKey]);
    const result = await checkpoint.gc({ olderThan: 0 });
    expect(result.leftovers).toEqual({ count: 1, bytes: 5 * MiB });
    expect(await openUploads("")).toEqual([]);
    expect(await checkpoint.catalog()).toHaveLength(1);
  });
});
