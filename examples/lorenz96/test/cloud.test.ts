// The demo against the S3 test server (Ceph radosgw, started by store-s3's global setup) and the
// Cloud Storage test fixture (started by store-gcs's global setup): real child processes, a real
// SIGKILL, the real SDKs over HTTP on 127.0.0.1.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FixtureClient } from "@ckpt/test-servers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectSigtermCaseResumedExactly, runDemo } from "./support.js";

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ckpt-lorenz96-cloud-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const smallRun = (point: string, dir: string) => [
  "--kill",
  `6:${point}`,
  "--members",
  "2",
  "--steps",
  "4",
  "--work",
  join(work, dir),
];

describe("the demo on the S3 test server", () => {
  it.each(["mid-commit", "before-commit-point"])(
    "resumes after a SIGKILL at %s and ends bit-identical",
    async (point) => {
      const server = inject("radosgw");
      const store = `s3://${server.bucket}/lorenz96/${randomUUID()}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`;
      const run = await runDemo(store, smallRun(point, `s3-${point}`), {
        AWS_ACCESS_KEY_ID: server.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain("killed with SIGKILL during write 6/8");
      expect(run.stdout).toContain("resumed from the row with writeCount 5");
      expect(run.stdout).toContain("outputs: identical, bit for bit (8 files");
      // The SIGTERM case at a random write: it resumes from exactly that write.
      expectSigtermCaseResumedExactly(run, 8);
    },
  );
});

describe("the demo on the Cloud Storage test fixture", () => {
  it("resumes after a SIGKILL at after-commit-point and ends bit-identical", async () => {
    const endpoint = inject("gcsServerUrl");
    const bucket = `lorenz96-${randomUUID().slice(0, 8)}`;
    await new FixtureClient(endpoint).createBucket(bucket);
    const store = `gs://${bucket}/demo?apiEndpoint=${encodeURIComponent(endpoint)}&projectId=test`;
    const run = await runDemo(store, smallRun("after-commit-point", "gcs"));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("killed with SIGKILL during write 6/8");
    expect(run.stdout).toContain("resumed from the row with writeCount 6");
    expect(run.stdout).toContain("outputs: identical, bit for bit (8 files");
    expectSigtermCaseResumedExactly(run, 8);
  });
});
