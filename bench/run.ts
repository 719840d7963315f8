/**
 * `pnpm bench`: commit and restore throughput against raw baselines, small-commit cost and peak
 * memory, on disk, memfs, radosgw (S3) and the GCS test server. Prints the tables, writes
 * bench/results/latest.json and, after a full run, BENCHMARKS.md.
 *
 * Options:
 *   --stores fs,memory,s3,gcs        stores to measure (default: all four)
 *   --sizes 1KiB,1MiB,64MiB,1GiB     state sizes of the throughput runs
 *   --runs N                         runs per size (default 5, 3 from 1 GiB up; --quick: 2)
 *   --memory-sizes 64MiB,1GiB        state sizes of the memory cases
 *   --small-commits N                commits per small-commit case (default 100)
 *   --async-sizes 64MiB,1GiB         state sizes of the async-against-sync commits (1 GiB on disk
 *                                    only, with the peak RSS of async commits)
 *   --world-sizes 4,16,64            world sizes of the world-restart part
 *   --incremental-size 1GiB          state of the incremental-commit part (16 arrays; --incremental-arrays N)
 *   --incremental-commits N          changed commits of the incremental part (default 20)
 *   --only checksum,throughput,small,earth2studio,memory,async,world,incremental   parts to run
 *                                    (default: all;
 *                                    earth2studio and the durable small-put rate run on fs only)
 *   --quick                          1KiB,1MiB,64MiB; 2 runs; 20 small commits; memory at 64 MiB only
 *   --rewrite                        measure nothing: render bench/results/latest.json again (and
 *                                    BENCHMARKS.md when it holds a full run)
 * Only a run with the default stores, sizes and parts (not --quick) rewrites BENCHMARKS.md.
 */
import { readFile } from "node:fs/promises";
import { loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  type AsyncCommitResult,
  type AsyncMemoryResult,
  asyncCommitSection,
  measureAsyncCommits,
  measureAsyncMemory,
} from "./async-commits.js";
import { type ChecksumResult, measureChecksums } from "./checksum.js";
import { MEMORY_CHILD_RUNTIME } from "./compiled-child.js";
import { durableSmallPutRate, type Earth2StudioCaseResult, earth2studioCase } from "./earth2studio-case.js";
import { type IncrementalResult, incrementalRows, measureIncremental } from "./incremental.js";
import { type MemoryResult, measureMemory } from "./memory.js";
import { FINDINGS, METHOD_NOTES } from "./method.js";
import { type BenchResults, describeMachine, renderConsole, writeReports } from "./report.js";
import { SMALL_COMMIT_CASES, type SmallCommitResult, smallCommits } from "./small-commits.js";
import { formatSize, GiB, parseSize } from "./stats.js";
import {
  openBenchStore,
  STORE_KINDS,
  type StoreEnv,
  type StoreKind,
  startStore,
  uniquePrefix,
} from "./stores.js";
import { measureThroughput, type ThroughputResult } from "./throughput.js";
import { measureWorld, WORLD_SIZES, type WorldResult, worldSection } from "./world.js";

// Lets the benchmark collect garbage between measurements (tsx does not pass --expose-gc on).
setFlagsFromString("--expose-gc");
(globalThis as { gc?: unknown }).gc ??= runInNewContext("gc");

const DEFAULT_SIZES = "1KiB,1MiB,64MiB,1GiB";
const PARTS = [
  "checksum",
  "throughput",
  "small",
  "earth2studio",
  "memory",
  "async",
  "world",
  "incremental",
] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: {
    stores: { type: "string" },
    sizes: { type: "string" },
    runs: { type: "string" },
    "memory-sizes": { type: "string" },
    "async-sizes": { type: "string" },
    "small-commits": { type: "string" },
    "world-sizes": { type: "string" },
    "incremental-size": { type: "string" },
    "incremental-arrays": { type: "string" },
    "incremental-commits": { type: "string" },
    only: { type: "string" },
    quick: { type: "boolean", default: false },
    rewrite: { type: "boolean", default: false },
  },
});

const list = (text: string) =>
  text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
const quick = values.quick === true;
const stores = list(values.stores ?? STORE_KINDS.join(",")) as StoreKind[];
for (const kind of stores)
  if (!STORE_KINDS.includes(kind)) throw new Error(`Unknown store "${kind}"; use ${STORE_KINDS.join(",")}`);
const sizes = list(values.sizes ?? (quick ? "1KiB,1MiB,64MiB" : DEFAULT_SIZES)).map(parseSize);
const memorySizes = list(values["memory-sizes"] ?? (quick ? "64MiB" : "64MiB,1GiB")).map(parseSize);
const asyncSizes = list(values["async-sizes"] ?? (quick ? "64MiB" : "64MiB,1GiB")).map(parseSize);
const worldSizes =
  values["world-sizes"] === undefined ? WORLD_SIZES : list(values["world-sizes"]).map(Number);
const parts = list(values.only ?? PARTS.join(",")) as Part[];
for (const part of parts)
  if (!PARTS.includes(part)) throw new Error(`Unknown part "${part}"; use ${PARTS.join(",")}`);
const runsFor = (bytes: number) =>
  values.runs !== undefined ? Number(values.runs) : quick ? 2 : bytes >= GiB ? 3 : 5;
const smallCount = Number(values["small-commits"] ?? (quick ? 20 : 100));
const incrementalSize = parseSize(values["incremental-size"] ?? (quick ? "64MiB" : "1GiB"));
const incrementalArrays = Number(values["incremental-arrays"] ?? 16);
const incrementalCommits = Number(values["incremental-commits"] ?? (quick ? 5 : 20));
const full =
  !quick &&
  values.stores === undefined &&
  values.sizes === undefined &&
  values["memory-sizes"] === undefined &&
  values["async-sizes"] === undefined &&
  values["world-sizes"] === undefined &&
  values["incremental-size"] === undefined &&
  values["incremental-arrays"] === undefined &&
  values["incremental-commits"] === undefined &&
  values.only === undefined;

/** The Markdown sections of the parts that have their own tables (async, incremental, world). */
function partSections(results: BenchResults): string {
  const async = results.asyncCommits ?? [];
  const world = results.world ?? [];
  const incremental = results.incremental ?? [];
  return [
    async.length > 0 ? `${asyncCommitSection(async)}\n` : "",
    incremental.length > 0 ? `### Incremental commits\n\n${incrementalRows(incremental).join("\n")}\n` : "",
    world.length > 0 ? `${worldSection(world)}\n` : "",
  ].join("");
}

/** bench/findings.md: the hand-written findings (profiles, traces, partial runs) that a full run keeps. */
const handFindings = async () => `${await readFile(new URL("./findings.md", import.meta.url), "utf8")}\n`;

const log = (line: string) => process.stderr.write(`${line}\n`);
if (values.rewrite === true) {
  const saved = JSON.parse(
    await readFile(new URL("./results/latest.json", import.meta.url), "utf8"),
  ) as BenchResults;
  console.log(renderConsole(saved));
  for (const path of await writeReports(
    saved,
    `${partSections(saved)}${await handFindings()}${FINDINGS}\n${METHOD_NOTES}`,
  ))
    log(`wrote ${path}`);
  process.exit(0);
}
const notes: string[] = [];
// radosgw's memstore and the GCS test server keep every object in RAM, next to the benchmark's own
// copies of the state (original, restored, raw read): hold 1 GiB cases back on small machines.
const serverLimit = totalmem() >= 16 * GiB ? Number.POSITIVE_INFINITY : 256 * 1024 * 1024;
const fits = (kind: StoreKind, bytes: number) => kind === "fs" || kind === "memory" || bytes <= serverLimit;

const startedAt = new Date().toISOString();
const loadAtStart = loadavg();
const throughput: ThroughputResult[] = [];
const small: (SmallCommitResult & { store: StoreKind })[] = [];
const memory: MemoryResult[] = [];
const asyncCommits: AsyncCommitResult[] = [];
const asyncMemory: AsyncMemoryResult[] = [];
const world: WorldResult[] = [];
const incremental: IncrementalResult[] = [];
const described: Partial<Record<StoreKind, string>> = {};
let checksums: ChecksumResult[] = [];
const earth2studio: Earth2StudioCaseResult[] = [];
let durableSmallPutsPerSecond: number | undefined;
if (parts.includes("checksum")) {
  log("checksum throughput over 256 MiB");
  checksums = await measureChecksums();
}

for (const kind of stores) {
  log(`\n== ${kind}: starting`);
  let env: StoreEnv;
  try {
    env = await startStore(kind, log);
  } catch (error) {
    const message = `${kind}: not measured, the store could not be started: ${(error as Error).message}`;
    log(message);
    notes.push(message);
    continue;
  }
  described[kind] = env.description;
  try {
    if (parts.includes("throughput")) {
      // One unrecorded round first: module loading, JIT and connection set-up are not the store's cost.
      await measureThroughput(env, 1024 * 1024, 1);
      for (const bytes of sizes) {
        if (!fits(kind, bytes)) {
          notes.push(
            `${kind}: ${formatSize(bytes)} throughput skipped (server keeps objects in RAM; < 16 GiB here)`,
          );
          continue;
        }
        log(`${kind}: throughput of a ${formatSize(bytes)} state, ${runsFor(bytes)} runs`);
        throughput.push(await measureThroughput(env, bytes, runsFor(bytes), log));
      }
    }
    if (parts.includes("small") && env.spec.kind === "fs") {
      log("fs: durable small-put rate (write, fsync, rename, folder fsync; 200 in a row)");
      durableSmallPutsPerSecond = await durableSmallPutRate(join(env.spec.dir, uniquePrefix("puts")));
    }
    if (parts.includes("earth2studio") && env.spec.kind === "fs")
      for (const durable of [false, true]) {
        log(`fs: earth2studio's case, fsync ${durable ? "on" : "off"}`);
        earth2studio.push(await earth2studioCase(join(env.spec.dir, uniquePrefix("e2s")), durable));
      }
    if (parts.includes("small"))
      for (const spec of SMALL_COMMIT_CASES) {
        log(`${kind}: ${smallCount} small commits, ${spec.label}, ${spec.mode}, clean-up ${spec.cleanup}`);
        const store = await openBenchStore(env.spec, uniquePrefix("small"));
        try {
          small.push({ store: kind, ...(await smallCommits(store, "small", spec, smallCount)) });
        } finally {
          await store.close?.();
        }
      }
    if (parts.includes("memory"))
      for (const bytes of memorySizes) {
        if (!fits(kind, bytes)) {
          notes.push(
            `${kind}: ${formatSize(bytes)} memory case skipped (server keeps objects in RAM; < 16 GiB here)`,
          );
          continue;
        }
        log(`${kind}: peak memory, ${formatSize(bytes)} state`);
        memory.push(...(await measureMemory(env, bytes)));
      }
    if (parts.includes("async"))
      for (const bytes of asyncSizes) {
        // A 1 GiB loop on a server that keeps objects in RAM would hold several copies there.
        if (bytes >= GiB && kind !== "fs") continue;
        log(`${kind}: async against sync commits, ${formatSize(bytes)} state`);
        asyncCommits.push(await measureAsyncCommits(env.spec, bytes, { runs: runsFor(bytes), steps: 20 }));
        // The peak RSS target is for a large state on disk (memfs would hold the stored copy too).
        if (kind === "fs" && bytes >= GiB) {
          log(`${kind}: peak RSS of async commits, ${formatSize(bytes)} state`);
          asyncMemory.push(await measureAsyncMemory(env.spec, bytes));
        }
      }
    if (parts.includes("world"))
      for (const worldSize of worldSizes) {
        log(`${kind}: world of ${worldSize} in-process ranks: commits and restarts`);
        world.push(await measureWorld(env, worldSize));
      }
    if (parts.includes("incremental") && (kind === "fs" || kind === "s3") && fits(kind, incrementalSize)) {
      log(`${kind}: incremental commits, ${formatSize(incrementalSize)} in ${incrementalArrays} arrays`);
      incremental.push(
        await measureIncremental(
          env.spec,
          {
            stateBytes: incrementalSize,
            arrays: incrementalArrays,
            commits: incrementalCommits,
            runs: runsFor(incrementalSize),
          },
          log,
        ),
      );
    }
  } catch (error) {
    // One store failing (e.g. a server that died) must not lose the others' numbers.
    const message = `${kind}: measurement failed: ${(error as Error).stack ?? String(error)}`;
    log(message);
    notes.push(message.split("\n")[0]!);
  } finally {
    await env.stop();
  }
}

const results: BenchResults = {
  startedAt,
  finishedAt: new Date().toISOString(),
  command: `pnpm bench${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}`,
  full,
  machine: describeMachine(loadAtStart),
  stores: described,
  notes,
  checksums,
  throughput,
  smallCommits: small,
  memory,
  memoryRuntime: parts.includes("memory") ? MEMORY_CHILD_RUNTIME : undefined,
  earth2studio,
  durableSmallPutsPerSecond,
  asyncCommits,
  asyncMemory,
  world,
  incremental,
};
console.log(renderConsole(results));
const sections = partSections(results);
if (sections !== "") console.log(sections);
for (const path of await writeReports(
  results,
  `${sections}${await handFindings()}${FINDINGS}\n${METHOD_NOTES}`,
))
  log(`wrote ${path}`);
