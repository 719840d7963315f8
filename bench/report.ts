/**
 * The report: the machine, one markdown table per measurement with ckpt's performance targets checked,
 * printed to the console, written as JSON to bench/results/latest.json and, after a full run, as
 * BENCHMARKS.md at the repo root.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AsyncCommitResult, type AsyncMemoryResult, asyncCommitHeadlines } from "./async-commits.js";
import type { ChecksumResult } from "./checksum.js";
import { EARTH2STUDIO, type Earth2StudioCaseResult } from "./earth2studio-case.js";
import { type IncrementalResult, incrementalHeadlines } from "./incremental.js";
import { COMMIT_HEADROOM, type MemoryResult } from "./memory.js";
import type { SmallCommitResult } from "./small-commits.js";
import { formatSize, GiB, MiB, mibPerSecond, type Summary, summarize } from "./stats.js";
import type { StoreKind } from "./stores.js";
import type { ThroughputResult } from "./throughput.js";
import type { WorldResult } from "./world.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Throughput target: ckpt at least this fraction of the raw baseline for states this large. */
export const RATIO_TARGET = 0.9;
export const RATIO_TARGET_FROM = 64 * MiB;
/** Sequential steps target per commit with no intervening writer. */
export const STEPS_TARGET = 3;

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly kernel: string;
  readonly disk: string;
  /** Load averages (1, 5, 15 min) at the start and the end of the run: other work on the machine. */
  readonly load: string;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly full: boolean;
  readonly machine: Machine;
  readonly stores: Readonly<Partial<Record<StoreKind, string>>>;
  readonly notes: readonly string[];
  readonly checksums: readonly ChecksumResult[];
  readonly throughput: readonly ThroughputResult[];
  readonly smallCommits: readonly (SmallCommitResult & { store: StoreKind })[];
  readonly memory: readonly MemoryResult[];
  /** How the memory cases' child process ran; absent in results from before it ran compiled code. */
  readonly memoryRuntime?: string | undefined;
  /** earth2studio's side-by-side case on disk, fsync on and off (absent in older results). */
  readonly earth2studio?: readonly Earth2StudioCaseResult[] | undefined;
  /** Sequential durable small puts per second on the same disk (absent in older results). */
  readonly durableSmallPutsPerSecond?: number | undefined;
  /** Async against sync commits (absent in older results). */
  readonly asyncCommits?: readonly AsyncCommitResult[] | undefined;
  /** Peak RSS of async commits on disk (absent in older results). */
  readonly asyncMemory?: readonly AsyncMemoryResult[] | undefined;
  /** The world-restart part (absent from runs that did not measure it). */
  readonly world?: readonly WorldResult[] | undefined;
  /** The incremental-commit part (absent from runs that did not measure it). */
  readonly incremental?: readonly IncrementalResult[] | undefined;
}

/** What the benchmark ran on. */
export function describeMachine(loadAtStart: readonly number[]): Machine {
  const cpuInfo = (() => {
    try {
      return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
    } catch {
      return undefined;
    }
  })();
  let disk = "unknown";
  try {
    const lines = execFileSync("df", ["-hT", tmpdir()], { encoding: "utf8" }).trim().split("\n");
    const [device, type, size] = (lines.at(-1) ?? "").split(/\s+/);
    const name = device?.replace(/^\/dev\//, "").replace(/\d+$/, "") ?? "";
    let rotational = "";
    try {
      rotational =
        readFileSync(`/sys/block/${name}/queue/rotational`, "utf8").trim() === "0"
          ? ", non-rotational"
          : ", rotational";
    } catch {}
    disk = `${tmpdir()} on ${device} (${type}, ${size}${rotational})`;
  } catch {}
  return {
    cpu: cpuInfo ?? cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memory: `${(totalmem() / GiB).toFixed(1)} GiB`,
    node: process.version,
    kernel: `Linux ${release()}`,
    disk,
    load: `${loadAtStart.map((n) => n.toFixed(1)).join(" / ")} at the start, ${loadavg()
      .map((n) => n.toFixed(1))
      .join(" / ")} at the end (1 / 5 / 15 min)`,
  };
}

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
/** A throughput summary in MiB/s, or KiB/s when the median is below 1 MiB/s. */
const rateRange = (s: Summary) => {
  const kib = s.median < 1;
  const scale = kib ? 1024 : 1;
  const digits = kib || s.median >= 100 ? 0 : 1;
  return `${fmt(s.median * scale, digits)} (${fmt(s.min * scale, digits)}–${fmt(s.max * scale, digits)})${kib ? " KiB/s" : ""}`;
};
const range = (s: Summary, digits = 1) =>
  `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

interface ThroughputRow {
  readonly commit: Summary;
  readonly rawWrite: Summary;
  readonly commitRatio: Summary;
  readonly restore: Summary;
  readonly rawRead: Summary;
  readonly restoreRatio: Summary;
  /** Disk and memfs: the third commit into a checkpoint, against the same run's raw write. */
  readonly steady?: { readonly commit: Summary; readonly ratio: Summary } | undefined;
}

function throughputRow(result: ThroughputResult): ThroughputRow {
  const rate = (ms: readonly number[]) => summarize(ms.map((m) => mibPerSecond(result.bytes, m)));
  const ratios = (ckpt: readonly number[], raw: readonly number[]) =>
    summarize(ckpt.map((m, i) => raw[i]! / m));
  return {
    commit: rate(result.commitMs),
    rawWrite: rate(result.rawWriteMs),
    commitRatio: ratios(result.commitMs, result.rawWriteMs),
    restore: rate(result.restoreMs),
    rawRead: rate(result.rawReadMs),
    restoreRatio: ratios(result.restoreMs, result.rawReadMs),
    steady:
      result.steadyCommitMs === undefined || result.steadyCommitMs.length === 0
        ? undefined
        : { commit: rate(result.steadyCommitMs), ratio: ratios(result.steadyCommitMs, result.rawWriteMs) },
  };
}

function verdict(ratio: number, bytes: number): string {
  if (bytes < RATIO_TARGET_FROM) return "";
  return ratio >= RATIO_TARGET ? " ✓" : ` ✗ (${fmt((RATIO_TARGET - ratio) * 100, 0)} pts short)`;
}

/** One target of the headline table. */
interface Headline {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Every target, from whatever parts this run measured. */
export function headlines(results: BenchResults): Headline[] {
  const rows: Headline[] = [];
  const large = results.throughput.filter((r) => r.bytes >= RATIO_TARGET_FROM);
  for (const result of large) {
    const row = throughputRow(result);
    rows.push({
      target: `Restore ${formatSize(result.bytes)} on ${result.store} ≥ ${RATIO_TARGET} × raw read (checksums verified)`,
      measured: `${fmt(row.restoreRatio.median, 2)} × (${rateRange(row.restore)} vs ${rateRange(row.rawRead)} MiB/s)`,
      met: row.restoreRatio.median >= RATIO_TARGET,
    });
  }
  for (const result of large) {
    const row = throughputRow(result);
    const what = result.store === "fs" ? "Durable commit" : "Commit";
    const raw = result.store === "fs" ? "raw durable write (write + fsync)" : "raw write";
    rows.push({
      target: `${what} ${formatSize(result.bytes)} on ${result.store} ≥ ${RATIO_TARGET} × ${raw}`,
      measured: `${fmt(row.commitRatio.median, 2)} × (${rateRange(row.commit)} vs ${rateRange(row.rawWrite)} MiB/s)`,
      met: row.commitRatio.median >= RATIO_TARGET,
    });
    if (row.steady !== undefined)
      rows.push({
        target: `Steady ${what.toLowerCase()} ${formatSize(result.bytes)} on ${result.store} (the third into a checkpoint, every array changed) ≥ ${RATIO_TARGET} × ${raw}`,
        measured: `${fmt(row.steady.ratio.median, 2)} × (${rateRange(row.steady.commit)} vs ${rateRange(row.rawWrite)} MiB/s)`,
        met: row.steady.ratio.median >= RATIO_TARGET,
      });
  }
  const putRate = results.durableSmallPutsPerSecond;
  const smallCase = results.smallCommits.find(
    (r) => r.store === "fs" && r.label === "1 KiB state" && r.mode === "append" && r.cleanup === "await",
  );
  if (putRate !== undefined && smallCase !== undefined) {
    const bound = putRate / smallCase.steps;
    rows.push({
      target: `Small commits on disk (1 KiB state) ≥ ${RATIO_TARGET} × durable small-put rate / steps`,
      measured: `${fmt(smallCase.commitsPerSecond, 0)}/s = ${fmt(smallCase.commitsPerSecond / bound, 2)} × (${fmt(putRate, 0)} puts/s / ${fmt(smallCase.steps, 0)} steps = ${fmt(bound, 0)}/s)`,
      met: smallCase.commitsPerSecond >= RATIO_TARGET * bound,
    });
  }
  for (const e2s of results.earth2studio ?? []) {
    const label = e2s.durable ? "fsync on" : "fsync off";
    if (e2s.durable) {
      rows.push({
        target: `earth2studio case, ${label}: small commits/s and 64 MiB commit (for reference)`,
        measured: `${fmt(e2s.smallCommitsPerSecond, 0)}/s; ${fmt(e2s.commit64MiBMs.median, 0)} ms (${fmt(e2s.commit64MiBMs.min, 0)}–${fmt(e2s.commit64MiBMs.max, 0)}); restore ${fmt(e2s.restore64MiBMs, 0)} ms`,
        met: true,
      });
      continue;
    }
    const { smallCommitsPerSecond: small, commit64MiBMs: commit } = EARTH2STUDIO;
    rows.push({
      target: `earth2studio case, ${label}: small commits/s ≥ earth2studio's ${small.low}–${small.high}`,
      measured: `${fmt(e2s.smallCommitsPerSecond, 0)}/s`,
      met: e2s.smallCommitsPerSecond >= small.low,
    });
    rows.push({
      target: `earth2studio case, ${label}: 64 MiB commit ≤ earth2studio's ${commit.low}–${commit.high} ms`,
      measured: `${fmt(e2s.commit64MiBMs.median, 0)} ms (${fmt(e2s.commit64MiBMs.min, 0)}–${fmt(e2s.commit64MiBMs.max, 0)}); restore ${fmt(e2s.restore64MiBMs, 0)} ms (earth2studio ${EARTH2STUDIO.restore64MiBMs.low}–${EARTH2STUDIO.restore64MiBMs.high})`,
      met: e2s.commit64MiBMs.median <= commit.high,
    });
  }
  const zlib = results.checksums.find((c) => c.name.startsWith("zlib.crc32"));
  const core = results.checksums.find((c) => c.name.startsWith("@ckpt/core checksumOf"));
  if (zlib !== undefined && core !== undefined)
    rows.push({
      target: "Checksums: core's CRC-32 faster than zlib.crc32 (SIMD @node-rs/crc32, zlib as fallback)",
      measured: `${core.name.replace("@ckpt/core checksumOf ", "")} ${fmt(core.rate.median, 0)} MiB/s = ${fmt(core.ratioToZlib ?? Number.NaN, 2)} × zlib`,
      met: (core.ratioToZlib ?? 0) > 1,
    });
  rows.push(...asyncCommitHeadlines(results.asyncCommits ?? [], results.asyncMemory ?? []));
  rows.push(...incrementalHeadlines(results.incremental ?? []));
  return rows;
}

function renderHeadline(results: BenchResults, out: string[]): void {
  const rows = headlines(results);
  if (rows.length === 0) return;
  out.push("### Targets (medians of this run; ratios against baselines measured in the same run)");
  out.push("");
  out.push(
    table(
      ["target", "measured", ""],
      rows.map((row) => [row.target, row.measured, row.met ? "✓" : "✗"]),
    ),
  );
  out.push("");
}

/** The markdown of all tables. */
export function renderTables(results: BenchResults): string {
  const out: string[] = [];
  renderHeadline(results, out);
  if (results.throughput.length > 0) renderThroughput(results, out);
  return renderRest(results, out);
}

function renderThroughput(results: BenchResults, out: string[]): void {
  out.push(
    "### Commit and restore throughput (MiB/s of array data unless marked KiB/s; median (min–max) of the runs)",
  );
  out.push("");
  out.push(
    `Ratio = raw time / ckpt time, per run (same run, same bytes). Target: ≥ ${RATIO_TARGET} for states of ${formatSize(RATIO_TARGET_FROM)} and up. "ckpt commit" is the first commit of a fresh checkpoint; "steady commit" (disk and memfs) the third into it, every array changed, as a running job commits: it overwrites the files of the commit retired before it (store-fs README, "Reused files"), while the raw write makes new files.`,
  );
  out.push("");
  out.push(
    table(
      [
        "store",
        "state",
        "runs",
        "ckpt commit",
        "raw write",
        "commit ratio",
        "steady commit (ratio)",
        "ckpt restore",
        "raw read",
        "restore ratio",
      ],
      results.throughput.map((result) => {
        const row = throughputRow(result);
        return [
          result.store,
          formatSize(result.bytes),
          String(result.commitMs.length),
          rateRange(row.commit),
          rateRange(row.rawWrite),
          `${range(row.commitRatio, 2)}${verdict(row.commitRatio.median, result.bytes)}`,
          row.steady === undefined
            ? "–"
            : `${rateRange(row.steady.commit)} (${range(row.steady.ratio, 2)}${verdict(row.steady.ratio.median, result.bytes)})`,
          rateRange(row.restore),
          rateRange(row.rawRead),
          `${range(row.restoreRatio, 2)}${verdict(row.restoreRatio.median, result.bytes)}`,
        ];
      }),
    ),
  );
}

function renderRest(results: BenchResults, out: string[]): string {
  if ((results.checksums ?? []).length > 0) {
    if (out.length > 0) out.push("");
    out.push("### Checksum and digest throughput (MiB/s over 256 MiB on the main thread; median (min–max))");
    out.push("");
    out.push(
      'Every committed and restored byte goes through CRC-32 once; on media as fast as the checksum it halves the throughput unless it overlaps the I/O. The 128-bit digests are candidates for content-addressed objects; "incremental" = sums a body piece by piece.',
    );
    out.push("");
    out.push(
      table(
        ["function", "MiB/s", "× zlib.crc32", "incremental"],
        results.checksums.map((c) => [
          c.name,
          range(c.rate, 0),
          c.ratioToZlib === undefined ? "" : c.ratioToZlib.toFixed(2),
          c.incremental ? "yes" : "no",
        ]),
      ),
    );
  }
  if (results.smallCommits.length > 0) {
    if (out.length > 0) out.push("");
    out.push("### Small commits (flushInterval 1; medians per commit; catalog cached, no other writer)");
    out.push("");
    out.push(
      `Steps = sequential round trips the commit waited for (maximal groups of overlapping store calls). Target: ≤ ${STEPS_TARGET}.`,
    );
    out.push("");
    out.push(
      table(
        [
          "store",
          "case",
          "state objects",
          "mode",
          "clean-up",
          "commits/s",
          "store calls",
          "steps",
          "left in background",
          "calls of one commit",
        ],
        results.smallCommits.map((r) => [
          r.store,
          r.label,
          String(r.stateObjects),
          r.mode,
          r.cleanup,
          fmt(r.commitsPerSecond, 0),
          fmt(r.calls, 0),
          `${fmt(r.steps, 0)}${r.steps <= STEPS_TARGET ? " ✓" : " ✗"}`,
          fmt(r.background, 0),
          r.ops,
        ]),
      ),
    );
  }
  if (results.memory.length > 0) {
    if (out.length > 0) out.push("");
    out.push("### Peak memory (VmHWM of a fresh process per case, reset right before the phase)");
    out.push("");
    out.push(
      `Each case's process runs ${results.memoryRuntime ?? "TypeScript under tsx (`node --import tsx`; the loader adds about 30 MiB of RSS)"}. "process" is the RSS with Node, the modules and the store client loaded, before any state: the Node and SDK baseline a user's job pays too. The state's arrays are resident before a commit and part of its peak. memfs keeps the stored objects in the process: "store data" is that copy (the memory store only), left out of "extra". Target: peak RSS of a commit ≤ state + ${formatSize(COMMIT_HEADROOM)} (+ store data).`,
    );
    out.push("");
    out.push(
      table(
        [
          "store",
          "state",
          "phase",
          "process (MiB)",
          "RSS before (MiB)",
          "peak RSS (MiB)",
          "peak − before (MiB)",
          "peak / state",
          "store data (MiB)",
          "extra = peak − state − store data (MiB)",
          "extra − process (MiB)",
          "target",
        ],
        results.memory.map((r) => {
          const held = r.store === "memory" ? r.bytes : 0;
          const over = r.peak - r.bytes - held;
          const target =
            r.phase === "commit"
              ? over <= COMMIT_HEADROOM
                ? "✓"
                : `✗ (+${fmt((over - COMMIT_HEADROOM) / MiB, 0)} MiB)`
              : "";
          return [
            r.store,
            formatSize(r.bytes),
            r.phase,
            fmt(r.base / MiB, 0),
            fmt(r.before / MiB, 0),
            fmt(r.peak / MiB, 0),
            fmt((r.peak - r.before) / MiB, 0),
            fmt(r.peak / r.bytes, 2),
            fmt(held / MiB, 0),
            fmt(over / MiB, 0),
            fmt((over - r.base) / MiB, 0),
            target,
          ];
        }),
      ),
    );
  }
  return out.join("\n");
}

function renderMachine(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `- CPU: ${m.cpu}, ${m.cores} cores`,
    `- Memory: ${m.memory}`,
    `- Node: ${m.node} (${m.kernel})`,
    `- Disk: ${m.disk}`,
    `- Load average: ${m.load}`,
    ...Object.entries(results.stores).map(([kind, description]) => `- ${kind}: ${description}`),
  ];
  return lines.join("\n");
}

/** Writes bench/results/latest.json and, for a full run, BENCHMARKS.md. */
export async function writeReports(results: BenchResults, extraMarkdown: string): Promise<string[]> {
  const written: string[] = [];
  const json = join(repoRoot, "bench", "results", "latest.json");
  await mkdir(dirname(json), { recursive: true });
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  written.push(json);
  if (results.full) {
    const markdown = [
      "# Benchmarks",
      "",
      `The last full run of \`pnpm bench\` (\`${results.command}\`), ${results.finishedAt}. Numbers depend on the machine;`,
      "the ratios against the raw baselines measured in the same run are what to compare. How it",
      "measures: see `bench/` (one module per measurement) and the notes below.",
      "",
      "## Machine",
      "",
      renderMachine(results),
      "",
      "## Results",
      "",
      renderTables(results),
      "",
      ...(results.notes.length > 0
        ? ["## Notes from this run", "", ...results.notes.map((note) => `- ${note}`), ""]
        : []),
      extraMarkdown,
    ].join("\n");
    const path = join(repoRoot, "BENCHMARKS.md");
    await writeFile(path, `${markdown.trimEnd()}\n`);
    written.push(path);
  }
  return written;
}

/** The console version: machine, then the tables. */
export function renderConsole(results: BenchResults): string {
  return [
    "## Machine",
    renderMachine(results),
    "",
    renderTables(results),
    ...(results.notes.length > 0 ? ["", "Notes:", ...results.notes.map((note) => `- ${note}`)] : []),
  ].join("\n");
}
