// The world demo against the S3 test server (Ceph radosgw, started by the global setup): four rank
// processes with RANK/WORLD_SIZE, SIGKILLed mid-step, through the real AWS SDK on 127.0.0.1.
import { randomUUID } from "node:crypto";
import "@ckpt/test-servers";
import { describe, inject, it } from "vitest";
import { runWorldDemo } from "../src/demo.js";
import { expectConsistentLives, LIVES, RANKS, STEPS, TIMEOUT } from "./lives.js";

describe("the world demo on the S3 test server", () => {
  it(
    `every restart of ${LIVES} resumes all ranks at one write count, each with its own state`,
    async () => {
      const server = inject("radosgw");
      const storeUrl = `s3://${server.bucket}/world/${randomUUID()}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`;
      const lines: string[] = [];
      const reports = await runWorldDemo({
        storeUrl,
        lives: LIVES,
        worldSize: RANKS,
        steps: STEPS,
        seed: 11,
        env: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey },
        log: (line) => lines.push(line),
      });
      expectConsistentLives(reports, lines);
    },
    TIMEOUT,
  );
});
