/**
 * The concurrent-writers race, smaller, on the two cloud test servers: 4 writer processes × 25
 * commits with different labels on one checkpoint, a reader process restoring meanwhile. No row
 * is lost and every row the reader finds restores whole.
 */
import { randomUUID } from "node:crypto";
import { Checkpoint, type Store } from "@ckpt/core";
import { GcsStore } from "@ckpt/store-gcs";
import { S3Store } from "@ckpt/store-s3";
import { fixtureStorageOptions, freshBucket, radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runRace } from "./support/race.js";
import { fieldProblem, initialSmallField, SmallField } from "./support/workload.js";

const WRITERS = 4;
const COMMITS = 25;

beforeAll(() => Promise.all([bundleChild("racer"), bundleChild("reader")]));

async function check(store: Store, acked: string[][]) {
  const checkpoint = new Checkpoint("race", { store, mode: "append", warn: () => {} });
  const rows = await checkpoint.catalog();
  expect(rows).toHaveLength(WRITERS * COMMITS);
  expect(new Set(rows.map((row) => row.commitId))).toEqual(new Set(acked.flat()));
  for (const [index, entry] of rows.entries()) {
    const value = (await checkpoint.select(index)).bind(SmallField, initialSmallField()).value;
    expect(fieldProblem(value, entry.writeCount, true), entry.commitId).toBeUndefined();
  }
}

describe(`${WRITERS} writer processes × ${COMMITS} commits on the cloud test servers, a reader restoring meanwhile`, () => {
  it("S3 (radosgw): no row lost", async () => {
    const server = radosgw();
    const prefix = `reliability/race/${randomUUID()}`;
    const result = await runRace({
      url: `s3://${server.bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&forcePathStyle=true`,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: server.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
        AWS_REGION: server.region,
      },
      name: "race",
      writers: WRITERS,
      commits: COMMITS,
      mode: "append",
      labels: (writer) => ({ writer }),
    });
    const store = new S3Store({ bucket: server.bucket, prefix, clientConfig: radosgwClientConfig() });
    await check(store, result.acked);
    await store.close();
    expect(result.reader.excused).toBe(0);
    console.log(
      `[reliability] race s3 ${JSON.stringify({ rows: WRITERS * COMMITS, ...result.reader, seconds: result.seconds })}`,
    );
  }, 300_000);

  it("GCS (fixture): no row lost", async () => {
    const bucket = await freshBucket("race");
    const result = await runRace({
      url: `gs://${bucket}/runs?apiEndpoint=${encodeURIComponent(inject("gcsServerUrl"))}&projectId=test`,
      name: "race",
      writers: WRITERS,
      commits: COMMITS,
      mode: "append",
      labels: (writer) => ({ writer }),
    });
    await check(
      new GcsStore({ bucket, prefix: "runs", storageOptions: fixtureStorageOptions() }),
      result.acked,
    );
    expect(result.reader.excused).toBe(0);
    console.log(
      `[reliability] race gcs ${JSON.stringify({ rows: WRITERS * COMMITS, ...result.reader, seconds: result.seconds })}`,
    );
  }, 300_000);
});
