import { randomUUID } from "node:crypto";
import { S3Store } from "@ckpt/store-s3";
import { radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runKillLoop } from "./support/kill-loop.js";

const KILLS = Number(process.env.CKPT_RELIABILITY_S3_KILLS ?? 50);

describe("SIGKILL loop on the S3 test server (radosgw)", () => {
  beforeAll(() => bundleChild("committer"));

  it(`a committer killed ${KILLS} times loses no acknowledged row and leaves nothing unreferenced`, async () => {
    const server = radosgw();
    const prefix = `reliability/kill/${randomUUID()}`;
    const endpoint = encodeURIComponent(server.endpoint);
    // The child gets its credentials from the environment, as a batch job would.
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
    };
    const store = new S3Store({ bucket: server.bucket, prefix, clientConfig: radosgwClientConfig() });
    try {
      const figures = await runKillLoop({
        url: `s3://${server.bucket}/${prefix}?endpoint=${endpoint}&forcePathStyle=true`,
        store,
        env,
        name: "crash-s3",
        kills: KILLS,
        maxDelayMs: 900,
      });
      console.log(`[reliability] sigkill s3 ${JSON.stringify(figures)}`);
      expect(figures.acknowledged).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  }, 900_000);
});
