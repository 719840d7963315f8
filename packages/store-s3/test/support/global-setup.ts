/**
 * Vitest global setup of the store-s3 project: starts one radosgw for the whole run and hands its
 * endpoint and keys to the tests through `inject("radosgw")`.
 */
import type { TestProject } from "vitest/node";
import { type RadosgwInfo, startRadosgw } from "./radosgw.js";

declare module "vitest" {
  export interface ProvidedContext {
    radosgw: RadosgwInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const server = await startRadosgw({
    log: (line) => console.log(`[radosgw ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`),
  });
  const { endpoint, region, bucket, accessKeyId, secretAccessKey } = server;
  project.provide("radosgw", { endpoint, region, bucket, accessKeyId, secretAccessKey });
  return async () => {
    await server.stop();
    // The run must leave nothing behind: fail loudly if a daemon survived.
    const alive = server.pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    if (alive.length > 0) throw new Error(`radosgw processes still running after stop: ${alive.join(", ")}`);
  };
}
