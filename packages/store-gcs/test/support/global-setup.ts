// Starts one fake Cloud Storage (TEST FIXTURE) for the store-gcs test files; each test uses its
// own bucket or prefix, so files running in parallel do not see each other's objects or faults.
import type { TestProject } from "vitest/node";
import { GcsTestServer } from "./gcs-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    gcsServerUrl: string;
  }
}

let server: GcsTestServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await GcsTestServer.start();
  project.provide("gcsServerUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
