// The world demo against the S3 test server (Ceph radosgw, started by the global setup): rank
// processes with RANK/WORLD_SIZE, SIGKILLed mid-step, through the real AWS SDK on 127.0.0.1.
import { randomUUID } from "node:crypto";
import "@ckpt/test-servers";
import { describe, expect, inject, it } from "vitest";
import type { WorldDemoOptions } from "../src/demo.js";
import { LIVES, runLives, TIMEOUT } from "./lives.js";

async function lives(name: string, options: Partial<WorldDemoOptions>, seed: number) {
  const server = inject("radosgw");
  const storeUrl = `s3://${server.bucket}/world/${randomUUID()}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`;
  const credentials = {
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  };
  // The demo damages catalogs through its own store, opened from the URL with these credentials.
  Object.assign(process.env, credentials);
  return runLives(`S3, ${name}`, storeUrl, seed, { env: credentials, ...options });
}

describe("the world demo on the S3 test server", () => {
  it(
    `every restart of ${LIVES} resumes all ranks at one write count, each with its own state`,
    () => lives("plain", {}, 11),
    TIMEOUT,
  );

  it(
    `ranks killed inside their commit and one rank's catalog damaged before every restart: ${LIVES} consistent restarts`,
    async () => {
      const reports = await lives("mid-commit, damaged", { midCommit: true, damage: true }, 13);
      expect(reports.slice(1).every((report) => report.damaged !== null)).toBe(true);
    },
    TIMEOUT,
  );
});
