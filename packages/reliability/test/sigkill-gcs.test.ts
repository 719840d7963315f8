import { GcsStore } from "@ckpt/store-gcs";
import { fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runKillLoop } from "./support/kill-loop.js";

const KILLS = Number(process.env.CKPT_RELIABILITY_GCS_KILLS ?? 50);

describe("SIGKILL loop on the Cloud Storage test fixture", () => {
  beforeAll(() => bundleChild("committer"));

  it(`a committer killed ${KILLS} times loses no acknowledged row and leaves nothing unreferenced`, async () => {
    const bucket = await freshBucket("kill");
    const endpoint = encodeURIComponent(inject("gcsServerUrl"));
    const store = new GcsStore({ bucket, prefix: "runs", storageOptions: fixtureStorageOptions() });
    const figures = await runKillLoop({
      url: `gs://${bucket}/runs?apiEndpoint=${endpoint}&projectId=test`,
      store,
      name: "crash-gcs",
      kills: KILLS,
      maxDelayMs: 700,
    });
    console.log(`[reliability] sigkill gcs ${JSON.stringify(figures)}`);
    expect(figures.acknowledged).toBeGreaterThan(0);
  }, 900_000);
});
