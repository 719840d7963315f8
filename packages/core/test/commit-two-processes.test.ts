import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CatalogClient, type CatalogRow } from "../src/commit/index.js";
import { openStore } from "../src/store/index.js";

// Two separate Node processes commit to one checkpoint on the real disk at the same time: the
// catalog compare-and-swap must lose no row and leave a whole last row.

// FsStore (@ckpt/store-fs, a devDependency of core) serves the file: URLs.
import "@ckpt/store-fs";

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
const writerScript = fileURLToPath(new URL("./support/commit-writer.ts", import.meta.url));
const COMMITS = 200;
// 400 durable commits with contention take seconds, several times longer on a loaded CI machine
// (BENCHMARKS.md).
const TIMEOUT = 300_000;

interface Writer {
  /** Resolves once the writer has read the catalog and waits for the go. */
  readonly ready: Promise<void>;
  /** Lets the writer start committing. */
  go(): void;
  /** Every row the writer committed, in order. */
  readonly rows: Promise<CatalogRow[]>;
}

function startWriter(args: readonly string[]): Writer {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@ckpt/source", writerScript, ...args],
    {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((done) => {
    markReady = done;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
    if (err.includes("ready\n")) markReady();
  });
  const rows = new Promise<CatalogRow[]>((done, fail) => {
    child.on("error", fail);
    child.on("close", (code) => {
      markReady();
      if (code !== 0) fail(new Error(`writer ${args.at(-1)} exited with ${code}: ${err}`));
      else
        done(
          out
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as CatalogRow),
        );
    });
  });
  return { ready, rows, go: () => child.stdin.end("go\n") };
}

/** Starts the writers, lets them go together once all are ready, and returns their rows. */
async function runWriters(argsOfEach: readonly (readonly string[])[]): Promise<CatalogRow[][]> {
  const writers = argsOfEach.map(startWriter);
  await Promise.all(writers.map((writer) => writer.ready));
  for (const writer of writers) writer.go();
  return Promise.all(writers.map((writer) => writer.rows));
}

describe("two processes committing to one checkpoint on disk (FsStore)", () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  async function reader(url: string, mode: "append" | "overwrite", historySize: number | null) {
    return new CatalogClient({
      store: await openStore(url),
      checkpoint: "race",
      root: "race",
      mode,
      historySize,
      rank: 0,
      worldSize: 1,
      level: 2,
    });
  }

  it(
    `different labels: no row of ${COMMITS} + ${COMMITS} commits is lost`,
    async () => {
      const folder = await mkdtemp(join(tmpdir(), "ckpt-race-"));
      folders.push(folder);
      const url = pathToFileURL(folder).href;
      const [a, b] = await runWriters(
        ["a", "b"].map((writer) => [
          url,
          "race",
          "append",
          String(COMMITS),
          JSON.stringify({ writer }),
          String(COMMITS),
          writer,
        ]),
      );
      const catalog = await reader(url, "append", COMMITS);
      const rows = await catalog.rows();
      expect(rows.map((row) => row.commitId).sort()).toEqual(
        [...a!, ...b!].map((row) => row.commitId).sort(),
      );
      expect(rows).toHaveLength(2 * COMMITS);
      // The writers really ran at the same time: their rows interleave in commit order.
      const switches = rows.filter(
        (row, i) => i > 0 && row.labels.writer !== rows[i - 1]!.labels.writer,
      ).length;
      expect(switches).toBeGreaterThan(2);
      // each writer's rows are in its own commit order
      for (const writer of ["a", "b"])
        expect(rows.filter((row) => row.labels.writer === writer).map((row) => row.writeCount)).toEqual(
          Array.from({ length: COMMITS }, (_, i) => i + 1),
        );
      await catalog.verify(rows.at(-1)!);
    },
    TIMEOUT,
  );

  it(
    "same labels, overwrite: the final row is one writer's last commit, whole",
    async () => {
      const folder = await mkdtemp(join(tmpdir(), "ckpt-race-"));
      folders.push(folder);
      const url = pathToFileURL(folder).href;
      const [a, b] = await runWriters(
        ["a", "b"].map((writer) => [url, "race", "overwrite", "null", "{}", String(COMMITS), writer]),
      );
      const catalog = await reader(url, "overwrite", null);
      const rows = await catalog.rows();
      expect(rows).toHaveLength(1);
      expect([a!.at(-1)!.commitId, b!.at(-1)!.commitId]).toContain(rows[0]!.commitId);
      await catalog.verify(rows[0]!);
      const manifest = await catalog.manifest(rows[0]!);
      const bytes = await catalog.readObject(manifest, "states/demo.State/state.json");
      expect(new TextDecoder().decode(bytes)).toBe(`${rows[0]!.metadata.writer} write ${COMMITS}`);
    },
    TIMEOUT,
  );
});
