// The world demo against the S3 test server (Ceph radosgw, started by the global setup): four rank
// processes with RANK/WORLD_SIZE, SIGKILLed mid-step, through the real AWS SDK on 127.0.0.1.
import { randomUUID } from "node:crypto";
import "@ckpt/test-servers";
import { describe, expect, inject, it } from "vitest";
import { runWorldDemo } from "../src/demo.js";

const LIVES = Number(process.env.CKPT_WORLD_LIVES ?? 3);
// Rank processes; more with CKPT_WORLD_RANKS.
const RANKS = Number(process.env.CKPT_WORLD_RANKS ?? 4);
// A life starts RANKS processes: allow for it when scaled up.
const TIMEOUT = 60_000 + (LIVES + 1) * RANKS * 3_000;
const STEPS = Math.max(10, 3 * LIVES);

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
      let floor = 0;
      for (const report of reports) {
        expect(new Set(report.resumed).size, lines.join("\n")).toBe(1);
        expect(report.resumed[0], lines.join("\n")).toBeGreaterThanOrEqual(floor);
        expect(report.ownState).toEqual(Array(RANKS).fill(true));
        floor = Math.min(...report.acknowledged);
      }
      expect(lines.at(-1)).toContain(`ran to step ${STEPS}`);
    },
    TIMEOUT,
  );
});
