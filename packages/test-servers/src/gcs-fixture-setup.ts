// Vitest global setup (`globalSetup: ["@ckpt/test-servers/gcs-fixture-setup"]`): starts one fake
// Cloud Storage (TEST FIXTURE) for a project's test files, read with `fixture()` and
// `fixtureStorageOptions()` of "@ckpt/test-servers/vitest". Each test uses its own bucket or
// prefix, so files running in parallel do not see each other's objects or faults.
import type { TestProject } from "vitest/node";
import { GcsTestServer } from "./gcs-server.js";
import type {} from "./vitest.js";

// Several projects (store-gcs, lorenz96, reliability) name this setup in the one vitest main
// process: they share one server through globalThis, and the last teardown stops it.
interface SharedFixture {
  refs: number;
  server: Promise<GcsTestServer>;
}
const shared = globalThis as typeof globalThis & { __ckptGcsFixture?: SharedFixture };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.__ckptGcsFixture ??= { refs: 0, server: GcsTestServer.start() };
  const fixture = shared.__ckptGcsFixture;
  fixture.refs += 1;
  const server = await fixture.server;
  project.provide("gcsServerUrl", server.url);
  return async () => {
    fixture.refs -= 1;
    if (fixture.refs > 0) return;
    delete shared.__ckptGcsFixture;
    await server.stop();
  };
}
