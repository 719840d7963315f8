// Every command against the S3 test server (the Ceph RADOS Gateway that store-s3's global setup
// starts on 127.0.0.1), through the real AWS SDK, in child processes.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { writeRows } from "./support/fixtures.js";
import { runCli, storeFsPresent } from "./support/run-cli.js";
import { readKey } from "./support/store-helpers.js";
import { describeCliCommands } from "./support/suite.js";

const server = inject("radosgw");
const env = {
  AWS_ACCESS_KEY_ID: server.accessKeyId,
  AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

beforeAll(() => {
  // The test process writes fixtures and reads results through the same URLs.
  Object.assign(process.env, env);
});

describeCliCommands({
  name: "the S3 test server",
  fresh: async (label) =>
    `s3://${server.bucket}/cli/${label}-${randomUUID()}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`,
  env: () => env,
});

describe.skipIf(!storeFsPresent)(
  "ckpt cp between a folder and the S3 test server (needs @ckpt/store-fs)",
  () => {
    it("copies a folder's checkpoint to S3 and back, byte for byte", async () => {
      const dir = await mkdtemp(join(tmpdir(), "ckpt-cli-s3cp-"));
      try {
        const folder = pathToFileURL(join(dir, "source")).href;
        const back = pathToFileURL(join(dir, "back")).href;
        const bucket = `s3://${server.bucket}/cli/cross-${randomUUID()}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`;
        await writeRows(folder, "run", 3);
        const up = await runCli(["cp", folder, bucket, "run"], env);
        expect(up.code, up.stderr).toBe(0);
        const down = await runCli(["cp", bucket, back], env);
        expect(down.code, down.stderr).toBe(0);
        expect(
          Buffer.compare(
            (await readKey(back, "run/catalog.json"))!,
            (await readKey(folder, "run/catalog.json"))!,
          ),
        ).toBe(0);
        const verify = await runCli(["verify", back, "run", "--all"], env);
        expect(verify.code, verify.stderr).toBe(0);
        expect(verify.stdout).toContain("verified 3 row(s)");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);
