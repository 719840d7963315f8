/**
 * Vitest global setup (`globalSetup: ["@ckpt/test-servers/radosgw-setup"]`): starts one radosgw for
 * the whole run and hands its endpoint and keys to the tests, read with `radosgw()` of
 * "@ckpt/test-servers/vitest".
 */
import type { TestProject } from "vitest/node";
import { startRadosgw } from "./radosgw.js";
import type {} from "./vitest.js";

// Several projects (store-s3, cli, lorenz96, reliability) name this setup; they all run in the
// one vitest main process, so they share one gateway through globalThis and the last teardown
// stops it: one radosgw instead of four starts faster and takes less memory (BENCHMARKS.md).
interface SharedGateway {
  refs: number;
  server: ReturnType<typeof startRadosgw>;
}
const shared = globalThis as typeof globalThis & { __ckptRadosgw?: SharedGateway };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  shared.__ckptRadosgw ??= {
    refs: 0,
    server: startRadosgw({
      log: (line) => console.log(`[radosgw ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`),
    }),
  };
  const gateway = shared.__ckptRadosgw;
  gateway.refs += 1;
  const server = await gateway.server;
  const { endpoint, region, bucket, accessKeyId, secretAccessKey } = server;
  project.provide("radosgw", { endpoint, region, bucket, accessKeyId, secretAccessKey });
  return async () => {
    gateway.refs -= 1;
    if (gateway.refs > 0) return;
    delete shared.__ckptRadosgw;
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
