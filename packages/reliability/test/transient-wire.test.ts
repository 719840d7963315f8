/**
 * Transient faults on the wire, through the real SDKs: S3 behind a proxy that answers 503
 * SlowDown / 500 before a request reaches radosgw and drops connections after it landed (SDK
 * retries off, so ckpt's own retries do the work); the Cloud Storage fixture answering 503 and
 * dropping responses. Every commit completes and every row restores whole.
 */
import { randomUUID } from "node:crypto";
import { Checkpoint, type Store } from "@ckpt/core";
import { GcsStore } from "@ckpt/store-gcs";
import { S3Store } from "@ckpt/store-s3";
import { startFaultProxy } from "@ckpt/test-servers";
import {
  fixture,
  fixtureStorageOptions,
  freshBucket,
  radosgw,
  radosgwClientConfig,
} from "@ckpt/test-servers/vitest";
import { describe, expect, it } from "vitest";
import { checkEveryRow } from "./support/row-check.js";
import { Field, fillField, initialField } from "./support/workload.js";

const COMMITS = 6;

async function commitAll(store: Store): Promise<Checkpoint> {
  const checkpoint = new Checkpoint("wire", {
    store,
    mode: "append",
    historySize: 4,
    retry: { attempts: 8, baseDelayMs: 5, maxDelayMs: 200 },
    warn: () => {},
  });
  await checkpoint.run(async (session) => {
    const field = session.bind(Field, initialField());
    for (let n = 1; n <= COMMITS; n++) {
      fillField(field.value, n);
      await session.write({ step: n });
    }
  });
  return checkpoint;
}

describe("transient faults on the wire", () => {
  it("S3: 503 SlowDown, 500 and dropped connections, SDK retries off", async () => {
    const server = radosgw();
    const proxy = await startFaultProxy(server.endpoint);
    const store = new S3Store({
      bucket: server.bucket,
      prefix: `reliability/wire/${randomUUID()}`,
      clientConfig: radosgwClientConfig({ endpoint: proxy.endpoint, maxAttempts: 1 }),
    });
    try {
      const put = (suffix: string) => (request: { method: string; path: string }) =>
        request.method === "PUT" && request.path.split("?")[0]!.endsWith(suffix);
      proxy.arm({
        match: put(".npy"),
        action: { kind: "status-before", status: 503, code: "SlowDown" },
        times: 8,
      });
      proxy.arm({ match: put("state.json"), action: { kind: "drop-response" }, times: 3 });
      proxy.arm({
        match: put("manifest.json"),
        action: { kind: "status-before", status: 500, code: "InternalError" },
        times: 3,
      });
      proxy.arm({ match: put("catalog.json"), action: { kind: "drop-response" }, times: 3 });
      proxy.arm({
        match: (request) => request.method === "GET",
        action: { kind: "status-before", status: 503, code: "SlowDown" },
        times: 3,
      });
      const checkpoint = await commitAll(store);
      const faults = proxy.requests.filter((request) => request.fault !== undefined).length;
      console.log(`[reliability] wire s3: ${COMMITS} commits through ${faults} injected faults`);
      expect(faults).toBe(20);
      expect((await checkEveryRow(checkpoint)).map((row) => row.writeCount)).toEqual([3, 4, 5, 6]);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("GCS: 503 and dropped responses from the fixture", async () => {
    const bucket = await freshBucket("wire");
    const store = new GcsStore({ bucket, prefix: "runs", storageOptions: fixtureStorageOptions() });
    await fixture().injectFault({
      filter: { bucket, operation: "objects.insert" },
      action: { status: 503 },
      times: 10,
    });
    await fixture().injectFault({
      filter: { bucket, objectPrefix: "runs/wire/catalog.json" },
      action: "drop-response",
      times: 3,
    });
    await fixture().injectFault({
      filter: { bucket, operation: "objects.media" },
      action: { status: 503 },
      times: 3,
    });
    const checkpoint = await commitAll(store);
    const fired = (await fixture().firedFaults()).filter((fault) => fault.bucket === bucket).length;
    console.log(`[reliability] wire gcs: ${COMMITS} commits through ${fired} injected faults`);
    expect(fired).toBeGreaterThanOrEqual(10);
    expect((await checkEveryRow(checkpoint)).map((row) => row.writeCount)).toEqual([3, 4, 5, 6]);
  });
});
