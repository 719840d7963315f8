import { bindCheckpointState, Checkpoint, checkpointState, typedArray } from "@ckpt/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import "../src/index.js";
import { radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { S3Store } from "../src/index.js";
import { emptyStore, uniquePrefix } from "./support/stores.js";

const RngState = checkpointState(
  "s3test.RngState",
  z.object({ seed: z.number(), counter: z.number(), buffer: typedArray("float64") }),
);

describe('new Checkpoint(name, { store: "s3://…" }) on radosgw', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it("commits a session, and a new Checkpoint resumes from its last row with the state restored", async () => {
    const server = radosgw();
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    const prefix = uniquePrefix("checkpoint");
    const url = `s3://${server.bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&forcePathStyle=true`;
    const job = async (stopAt: number) => {
      const checkpoint = new Checkpoint("s3-forecast", {
        store: url,
        mode: "append",
        historySize: 8,
        flushInterval: 3,
      });
      try {
        const resumedAt = await checkpoint.run(async (session) => {
          const start = session.writeCount;
          const rng = bindCheckpointState(RngState, { seed: 7, counter: 0, buffer: new Float64Array(1000) });
          for (let step = session.writeCount; step < stopAt; step++) {
            rng.value.counter += 1;
            rng.value.buffer[step] = step * 0.5;
            await session.write({ leadTime: step * 6 });
          }
          return { start, counter: rng.value.counter, buffer: rng.value.buffer };
        });
        return { resumedAt, rows: await checkpoint.catalog() };
      } finally {
        await checkpoint.close();
      }
    };
    const first = await job(6);
    expect(first.resumedAt.start).toBe(0);
    expect(first.rows.map((row) => row.writeCount)).toEqual([3, 6]);
    const second = await job(9);
    expect(second.resumedAt.start).toBe(6);
    expect(second.resumedAt.counter).toBe(9);
    expect(Array.from(second.resumedAt.buffer.subarray(0, 9))).toEqual(
      Array.from({ length: 9 }, (_, i) => i * 0.5),
    );
    expect(second.rows.map((row) => row.writeCount)).toEqual([3, 6, 9]);

    const store = new S3Store({ bucket: server.bucket, prefix, clientConfig: radosgwClientConfig() });
    try {
      expect((await store.head("s3-forecast/catalog.json"))?.size).toBeGreaterThan(0);
      await emptyStore(store);
    } finally {
      await store.close();
    }
  });
});
