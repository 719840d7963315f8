/**
 * The world demo: a 4-rank job (processes with RANK and WORLD_SIZE) is killed again and again,
 * some ranks with SIGKILL in the middle of a step (before, during or after their commit; with
 * `midCommit`, also at a chosen moment inside the commit), and restarted as a whole; with
 * `damage`, one rank's catalog.json is corrupted or deleted before each restart. Every restart
 * prints the write count each rank resumed from: the same on every rank, at least the newest step
 * every rank acknowledged, each rank with its own state.
 *
 *   pnpm --filter @ckpt/example-world demo -- [--store file:///tmp/world] [--world 4] [--steps 12] [--lives 4] [--seed 1] [--mid-commit] [--damage] [--async]
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { openStore, type Store } from "@ckpt/core";
import type { DieAt, GoMessage, RankMessage } from "./world.js";

/** What one life of the job did. */
export interface LifeReport {
  readonly life: number;
  /** The write count each rank resumed from, by rank. */
  readonly resumed: readonly number[];
  /** Whether each rank's restored state was exactly its own at that write count. */
  readonly ownState: readonly boolean[];
  /** The step at which ranks were killed (`null` for the last life, which runs to the end). */
  readonly killStep: number | null;
  readonly killed: readonly number[];
  /** The killed ranks that died inside their commit, and where. */
  readonly diedInCommit: readonly { readonly rank: number; readonly at: DieAt }[];
  /** The rank whose catalog.json was damaged before this life, and how. */
  readonly damaged: { readonly rank: number; readonly how: "corrupted" | "deleted" } | null;
  /** The last step each rank acknowledged (its write resolved) before the job died. */
  readonly acknowledged: readonly number[];
}

export interface WorldDemoOptions {
  readonly storeUrl: string;
  readonly worldSize?: number;
  readonly steps?: number;
  /** Lives that end in kills; one more life then runs to the end. */
  readonly lives?: number;
  readonly seed?: number;
  /** Some victims die inside their commit: at their first object put or at their catalog swap. */
  readonly midCommit?: boolean;
  /** Before every restart, one random rank's catalog.json is corrupted or deleted. */
  readonly damage?: boolean;
  /** Ranks commit in the background (`async: true`); a step is acknowledged once durable. */
  readonly async?: boolean;
  /** A life still running after this long fails the demo (default 120 s). */
  readonly timeoutMs?: number;
  /** Extra environment of the rank processes (e.g. store credentials). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

const rankScript = fileURLToPath(new URL("./rank.ts", import.meta.url));

/** A small deterministic generator (mulberry32): a seed replays the same kills. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs one life: every rank restarts, steps in lockstep, and (unless `plan` is null) dies at `plan.step`. */
/** How one life dies: at which step, which ranks, and how each victim goes. */
interface KillPlan {
  readonly step: number;
  readonly victims: ReadonlySet<number>;
  /** Per rank: milliseconds after the step's "go" before its SIGKILL, or a moment inside its commit. */
  readonly how: readonly (number | DieAt)[];
}

type LifeOptions = Required<Omit<WorldDemoOptions, "log" | "seed" | "midCommit" | "damage">>;

async function life(
  index: number,
  options: LifeOptions,
  plan: (resumed: number) => KillPlan | null,
  damaged: LifeReport["damaged"],
): Promise<LifeReport> {
  const { worldSize, steps, storeUrl } = options;
  const tsx = import.meta.resolve("tsx");
  const resumed: number[] = [];
  const ownState: boolean[] = [];
  const acknowledged: number[] = [];
  const arrived = new Map<number, number>();
  let kill: KillPlan | null | undefined;
  const children: ChildProcess[] = [];
  const killedByUs = new Set<number>();
  const stderr: string[] = [];
  let failure: string | undefined;
  const stop = (rank: number) => {
    const child = children[rank]!;
    killedByUs.add(rank);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const killAll = () => {
    for (let rank = 0; rank < worldSize; rank++) stop(rank);
  };
  const exits = Array.from({ length: worldSize }, (_, rank) => {
    const child = fork(rankScript, [storeUrl, String(steps)], {
      execArgv: ["--import", tsx, "--conditions=@ckpt/source"],
      env: {
        ...process.env,
        ...options.env,
        RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        CKPT_WORLD_ASYNC: options.async ? "1" : "0",
      },
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(`rank ${rank}: ${chunk.toString()}`));
    children[rank] = child;
    return new Promise<void>((resolve) =>
      child.on("exit", (code, signal) => {
        // A rank that fails on its own would leave the others waiting at the next step forever.
        if (!killedByUs.has(rank) && code !== 0) {
          failure ??= `rank ${rank} exited with ${signal ?? `code ${code}`}`;
          killAll();
        }
        resolve();
      }),
    );
  });
  const deadline = setTimeout(() => {
    failure ??= `still running after ${options.timeoutMs} ms (resumed ${JSON.stringify(resumed)}, acknowledged ${JSON.stringify(acknowledged)}, arrivals ${JSON.stringify([...arrived])})`;
    killAll();
  }, options.timeoutMs);
  const go = (rank: number, step: number, die?: DieAt) => {
    const child = children[rank]!;
    const message: GoMessage = { type: "go", step, die };
    if (child.connected) child.send(message);
  };
  children.forEach((child) => {
    child.on("message", (message: RankMessage) => {
      if (message.type === "resumed") {
        resumed[message.rank] = message.writeCount;
        ownState[message.rank] = message.ownState;
        acknowledged[message.rank] = message.writeCount;
        if (resumed.filter((value) => value !== undefined).length === worldSize)
          kill = plan(Math.min(...resumed));
      } else if (message.type === "committed") {
        acknowledged[message.rank] = message.step;
        // Async ranks are killed with commits in flight (below), not once the step is durable.
        if (kill && message.step === kill.step && !options.async) {
          const survivors = [...Array(worldSize).keys()].filter((rank) => !kill!.victims.has(rank));
          // The job dies once every surviving rank committed the kill step.
          if (survivors.every((rank) => (acknowledged[rank] ?? -1) >= kill!.step)) killAll();
        }
      } else if (message.type === "at") {
        const count = (arrived.get(message.step) ?? 0) + 1;
        arrived.set(message.step, count);
        if (count < worldSize) return;
        const dying = kill !== null && kill !== undefined && message.step === kill.step;
        for (let rank = 0; rank < worldSize; rank++) {
          const how = dying && kill!.victims.has(rank) ? kill!.how[rank]! : undefined;
          if (typeof how === "string") {
            // The rank kills itself inside its commit: expected, like our own SIGKILLs.
            killedByUs.add(rank);
            go(rank, message.step, how);
          } else {
            go(rank, message.step);
            // A victim gets into the step and dies a few milliseconds later: before, in the middle
            // of, or just after its commit.
            if (how !== undefined) setTimeout(() => stop(rank), how);
          }
        }
        // Async commits are still uploading a few milliseconds after the step: the job dies then.
        if (dying && (kill!.victims.size === worldSize || options.async)) setTimeout(killAll, 20);
      }
    });
  });
  await Promise.all(exits);
  clearTimeout(deadline);
  if (failure !== undefined) throw new Error(`life ${index}: ${failure}\n${stderr.join("")}`);
  return {
    life: index,
    resumed,
    ownState,
    killStep: kill?.step ?? null,
    killed: kill ? [...kill.victims].sort((a, b) => a - b) : [],
    diedInCommit: kill
      ? [...kill.victims].flatMap((rank) => {
          const how = kill!.how[rank];
          return typeof how === "string" ? [{ rank, at: how }] : [];
        })
      : [],
    damaged,
    acknowledged,
  };
}

/** Corrupts or deletes one rank's catalog.json, as a bad day between two lives might. */
async function damageCatalog(store: Store, rank: number, how: "corrupted" | "deleted"): Promise<void> {
  const key = `world-demo/rank_${String(rank).padStart(6, "0")}/catalog.json`;
  if (how === "deleted") await store.delete([key]);
  else await store.put(key, new TextEncoder().encode('{"format":"ckpt.catalog","rows":[{'));
}

/** Runs the demo and reports every life; throws when a restart was inconsistent. */
export async function runWorldDemo(options: WorldDemoOptions): Promise<LifeReport[]> {
  const config: LifeOptions = {
    storeUrl: options.storeUrl,
    worldSize: options.worldSize ?? 4,
    steps: options.steps ?? 12,
    lives: options.lives ?? 4,
    async: options.async ?? false,
    env: options.env ?? {},
    timeoutMs: options.timeoutMs ?? 120_000,
  };
  const next = random(options.seed ?? 1);
  const log = options.log ?? ((line: string) => console.log(line));
  // Kill steps spread so the killed lives cover the steps; the last life runs to the end.
  const spread = Math.max(3, Math.floor((2 * config.steps) / (config.lives + 1)));
  const store = options.damage ? await openStore(config.storeUrl) : undefined;
  const reports: LifeReport[] = [];
  try {
    for (let index = 0; index <= config.lives; index++) {
      const last = index === config.lives;
      let damaged: LifeReport["damaged"] = null;
      if (store !== undefined && index > 0) {
        damaged = {
          rank: Math.floor(next() * config.worldSize),
          how: next() < 0.5 ? "corrupted" : "deleted",
        };
        await damageCatalog(store, damaged.rank, damaged.how);
      }
      const report = await life(
        index,
        config,
        (resumed) => {
          if (last || resumed >= config.steps) return null;
          const step = Math.min(config.steps, resumed + 1 + Math.floor(next() * spread));
          const victims = new Set([...Array(config.worldSize).keys()].filter(() => next() < 0.5));
          if (victims.size === 0) victims.add(Math.floor(next() * config.worldSize));
          const how = [...Array(config.worldSize)].map((): number | DieAt => {
            const pick = next();
            if (options.midCommit && pick < 0.6) return pick < 0.3 ? "objects" : "swap";
            return Math.floor(next() * 6);
          });
          return { step, victims, how };
        },
        damaged,
      );
      const previous = reports.at(-1);
      const floor = previous === undefined ? 0 : Math.min(...previous.acknowledged);
      const consistent =
        report.resumed.every((count) => count === report.resumed[0]) &&
        report.resumed[0]! >= floor &&
        report.ownState.every(Boolean);
      const inCommit = report.diedInCommit.map(
        (death) => `${death.rank} at its ${death.at === "swap" ? "catalog swap" : "object puts"}`,
      );
      log(
        `life ${index}: every rank resumed from writeCount ${report.resumed.join(", ")} (acknowledged by every rank before: ${floor}; own state restored: ${report.ownState.every(Boolean)}${damaged === null ? "" : `; rank ${damaged.rank}'s catalog ${damaged.how} before`})` +
          (report.killStep === null
            ? `; ran to step ${config.steps}`
            : `; killed rank${report.killed.length === 1 ? "" : "s"} ${report.killed.join(", ")} during step ${report.killStep}${inCommit.length > 0 ? ` (inside the commit: ${inCommit.join(", ")})` : ""}, acknowledged ${report.acknowledged.join(", ")}`),
      );
      if (!consistent) throw new Error(`life ${index}: the ranks did not resume consistently`);
      reports.push(report);
    }
  } finally {
    await store?.close?.();
  }
  return reports;
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const storeUrl = argument("store") ?? pathToFileURL(await mkdtemp(join(tmpdir(), "ckpt-world-demo-"))).href;
  await runWorldDemo({
    storeUrl,
    worldSize: Number(argument("world") ?? 4),
    steps: Number(argument("steps") ?? 12),
    lives: Number(argument("lives") ?? 4),
    seed: Number(argument("seed") ?? 1),
    midCommit: process.argv.includes("--mid-commit"),
    damage: process.argv.includes("--damage"),
    async: process.argv.includes("--async"),
  });
}
