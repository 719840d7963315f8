/**
 * The world demo: a 4-rank job (processes with RANK and WORLD_SIZE) is killed again and again,
 * some ranks with SIGKILL in the middle of a step (before, during or after their commit), and
 * restarted as a whole. Every restart prints the write count each rank resumed from: the same on
 * every rank, at least the newest step every rank acknowledged, each rank with its own state.
 *
 *   pnpm --filter @ckpt/example-world demo -- [--store file:///tmp/world] [--world 4] [--steps 12] [--lives 4] [--seed 1]
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RankMessage } from "./world.js";

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
async function life(
  index: number,
  options: Required<Omit<WorldDemoOptions, "log" | "seed">>,
  plan: (resumed: number) => { step: number; victims: ReadonlySet<number>; delays: number[] } | null,
): Promise<LifeReport> {
  const { worldSize, steps, storeUrl } = options;
  const tsx = import.meta.resolve("tsx");
  const resumed: number[] = [];
  const ownState: boolean[] = [];
  const acknowledged: number[] = [];
  const arrived = new Map<number, number>();
  let kill: { step: number; victims: ReadonlySet<number>; delays: number[] } | null | undefined;
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
      env: { ...process.env, ...options.env, RANK: String(rank), WORLD_SIZE: String(worldSize) },
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
  const go = (rank: number, step: number) => {
    const child = children[rank]!;
    if (child.connected) child.send({ type: "go", step });
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
        if (kill && message.step === kill.step) {
          const survivors = [...Array(worldSize).keys()].filter((rank) => !kill!.victims.has(rank));
          // The job dies once every surviving rank committed the kill step.
          if (survivors.every((rank) => (acknowledged[rank] ?? -1) >= kill!.step)) killAll();
        }
      } else if (message.type === "at") {
        const count = (arrived.get(message.step) ?? 0) + 1;
        arrived.set(message.step, count);
        if (count < worldSize) return;
        for (let rank = 0; rank < worldSize; rank++) {
          go(rank, message.step);
          // A victim gets into the step and dies a few milliseconds later: before, in the middle
          // of, or just after its commit.
          if (kill && message.step === kill.step && kill.victims.has(rank)) {
            setTimeout(() => stop(rank), kill.delays[rank]);
          }
        }
        if (kill && message.step === kill.step && kill.victims.size === worldSize) setTimeout(killAll, 20);
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
    killed: kill ? [...kill.victims].sort() : [],
    acknowledged,
  };
}

/** Runs the demo and reports every life; throws when a restart was inconsistent. */
export async function runWorldDemo(options: WorldDemoOptions): Promise<LifeReport[]> {
  const config = {
    storeUrl: options.storeUrl,
    worldSize: options.worldSize ?? 4,
    steps: options.steps ?? 12,
    lives: options.lives ?? 4,
    env: options.env ?? {},
    timeoutMs: options.timeoutMs ?? 120_000,
  };
  const next = random(options.seed ?? 1);
  const log = options.log ?? ((line: string) => console.log(line));
  const reports: LifeReport[] = [];
  for (let index = 0; index <= config.lives; index++) {
    const last = index === config.lives;
    const report = await life(index, config, (resumed) => {
      if (last || resumed >= config.steps) return null;
      const step = Math.min(config.steps, resumed + 1 + Math.floor(next() * 3));
      const victims = new Set([...Array(config.worldSize).keys()].filter(() => next() < 0.5));
      if (victims.size === 0) victims.add(Math.floor(next() * config.worldSize));
      return { step, victims, delays: [...Array(config.worldSize)].map(() => Math.floor(next() * 6)) };
    });
    const previous = reports.at(-1);
    const floor = previous === undefined ? 0 : Math.min(...previous.acknowledged);
    const consistent =
      report.resumed.every((count) => count === report.resumed[0]) &&
      report.resumed[0]! >= floor &&
      report.ownState.every(Boolean);
    log(
      `life ${index}: every rank resumed from writeCount ${report.resumed.join(", ")} (acknowledged by every rank before: ${floor}; own state restored: ${report.ownState.every(Boolean)})` +
        (report.killStep === null
          ? `; ran to step ${config.steps}`
          : `; killed rank${report.killed.length === 1 ? "" : "s"} ${report.killed.join(", ")} during step ${report.killStep}, acknowledged ${report.acknowledged.join(", ")}`),
    );
    if (!consistent) throw new Error(`life ${index}: the ranks did not resume consistently`);
    reports.push(report);
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
  });
}
