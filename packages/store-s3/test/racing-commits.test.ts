import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CatalogClient, type CatalogRow } from "@ckpt/core";
import { radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../src/index.js";
import { emptyStore, uniquePrefix } from "./support/stores.js";

// 8 separate Node processes commit to one checkpoint on radosgw at the same time, 20 rounds (a
// fresh checkpoint each round, the processes released together): the catalog compare-and-swap,
// where racing If-Match losers mostly get HTTP 500 from radosgw, must lose no row.

const WRITERS = 8;
const ROUNDS = 20;
// One commit each: all 8 race to create the catalog, then the 7 losers race on If-Match.
const COMMITS_PER_ROUND = 1;
const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
const writerScript = fileURLToPath(new URL("./support/race-writer.ts", import.meta.url));

interface Writer {
  readonly name: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: AsyncIterator<string>;
  readonly stderr: string[];
}

async function nextLine(writer: Writer): Promise<string> {
  const next = await writer.lines.next();
  if (next.done) throw new Error(`writer ${writer.name} ended early: ${writer.stderr.join("").slice(-2000)}`);
  return next.value;
}

describe("racing commits from separate processes on radosgw", () => {
  const prefix = uniquePrefix("racing-commits");
  const writers: Writer[] = [];
  let store: S3Store;

  beforeAll(async () => {
    const server = radosgw();
    store = new S3Store({ bucket: server.bucket, prefix, clientConfig: radosgwClientConfig() });
    const url = `s3://${server.bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&forcePathStyle=true`;
    for (let i = 0; i < WRITERS; i++) {
      const name = `w${i}`;
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "--conditions=@ckpt/source", writerScript, url, name],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: server.accessKeyId,
            AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          },
          stdio: ["pipe", "pipe", "pipe"],
        },
      );
      const stderr: string[] = [];
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
      const lines: Interface = createInterface({ input: child.stdout });
      writers.push({ name, child, lines: lines[Symbol.asyncIterator](), stderr });
    }
    for (const writer of writers) expect(await nextLine(writer)).toBe("ready");
  }, 120_000);

  afterAll(async () => {
    for (const writer of writers) writer.child.stdin.end();
    await Promise.all(
      writers.map(
        (writer) =>
          new Promise<void>((done) => {
            if (writer.child.exitCode !== null) done();
            else writer.child.on("close", () => done());
          }),
      ),
    );
    await emptyStore(store);
    await store.close();
  }, 60_000);

  it(`${WRITERS} writers with different labels lose no row, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    let warnings = 0;
    const totals = { commits: 0, calls: 0, casLost412: 0, casUnknown: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const writer of writers) writer.child.stdin.write(`round ${round} ${COMMITS_PER_ROUND}\n`);
      const results = await Promise.all(
        writers.map(
          async (writer) =>
            JSON.parse(await nextLine(writer)) as {
              round: number;
              rows: CatalogRow[];
              counts: { calls: number; casLost412: number; casUnknown: number };
            },
        ),
      );
      for (const { rows, counts } of results) {
        totals.commits += rows.length;
        totals.calls += counts.calls;
        totals.casLost412 += counts.casLost412;
        totals.casUnknown += counts.casUnknown;
      }
      const committed = results.flatMap((result) => result.rows);
      const root = `round-${round}`;
      const reader = new CatalogClient({
        store,
        checkpoint: root,
        root,
        mode: "append",
        historySize: null,
        rank: 0,
        worldSize: 1,
        level: 2,
        warn: () => {
          warnings++;
        },
      });
      const rows = await reader.rows();
      expect(rows.map((row) => row.commitId).sort(), `round ${round}`).toEqual(
        committed.map((row) => row.commitId).sort(),
      );
      expect(rows, `round ${round}`).toHaveLength(WRITERS * COMMITS_PER_ROUND);
      for (const writer of writers)
        expect(
          rows.filter((row) => row.labels.writer === writer.name).map((row) => row.writeCount),
          `round ${round}, writer ${writer.name}`,
        ).toEqual(Array.from({ length: COMMITS_PER_ROUND }, (_, i) => i + 1));
      await reader.verify(rows.at(-1)!);
    }
    // The catalog was never missing or corrupt, so nothing had to be rebuilt.
    expect(warnings).toBe(0);
    console.log(
      `racing commits: ${totals.commits} commits, ${(totals.calls / totals.commits).toFixed(1)} store calls per commit; ` +
        `catalog compare-and-swap lost ${totals.casLost412} times with 412 and ${totals.casUnknown} times with an unknown outcome (HTTP 500)`,
    );
    // The processes really raced: compare-and-swap rounds were lost.
    expect(totals.casLost412 + totals.casUnknown).toBeGreaterThan(0);
  }, 170_000);
});
