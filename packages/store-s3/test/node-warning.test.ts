// The AWS SDK warns on stderr, from every process on Node < 22 that makes a client, that its releases
// after January 2027 need Node 22. A library must not print: the client S3Store makes does not.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageRoot = fileURLToPath(new URL("../", import.meta.url));
const nodeMajor = Number(process.versions.node.split(".")[0]);

/** Runs an ES module snippet in a fresh Node with the workspace sources; its stderr. */
function stderrOf(code: string, env: NodeJS.ProcessEnv): string {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=@ckpt/source", "--input-type=module", "-e", code],
    { cwd: packageRoot, env, encoding: "utf8" },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stderr;
}

describe.skipIf(nodeMajor >= 22)("the AWS SDK's Node-version warning", () => {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

  it("is printed by a plain S3Client on this Node (so the check below can see it)", () => {
    const stderr = stderrOf(
      'import { S3Client } from "@aws-sdk/client-s3"; new S3Client({ region: "us-east-1" });',
      env,
    );
    expect(stderr).toContain("NodeVersionSupportWarning");
  });

  it("is not printed when S3Store makes its client, and the environment variable is left as it was", () => {
    const stderr = stderrOf(
      'import { S3Store } from "@ckpt/store-s3"; S3Store.fromUrl("s3://bucket/runs?region=us-east-1");' +
        " if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) process.exit(3);",
      env,
    );
    expect(stderr).not.toContain("NodeVersionSupportWarning");
  });

  it("an explicit AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false is obeyed", () => {
    const stderr = stderrOf(
      'import { S3Store } from "@ckpt/store-s3"; S3Store.fromUrl("s3://bucket/runs?region=us-east-1");',
      { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" },
    );
    expect(stderr).toContain("NodeVersionSupportWarning");
  });
});
