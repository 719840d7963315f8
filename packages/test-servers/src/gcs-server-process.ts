import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { FixtureClient } from "./fixture-client.js";

/** A {@link GcsTestServer} running in a child process. */
export interface GcsServerProcess {
  readonly url: string;
  readonly pid: number | undefined;
  /** Stops the server and waits for its process to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the Cloud Storage test fixture in a Node process of its own, for benchmarks: the server
 * then does not share an event loop with the client being measured. Creates `buckets` on it.
 */
export async function startGcsServerProcess(buckets: readonly string[] = []): Promise<GcsServerProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./gcs-server-main.ts", import.meta.url))],
    // tsx is found from the package's folder up to the repo root.
    { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["pipe", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the GCS test server exited early (${code})`)));
    createInterface({ input: child.stdout }).once("line", (line) =>
      resolve((JSON.parse(line) as { url: string }).url),
    );
  });
  const client = new FixtureClient(url);
  for (const bucket of buckets) await client.createBucket(bucket);
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      child.kill("SIGTERM");
      await exited;
    },
  };
}
