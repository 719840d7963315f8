/**
 * The README's first command: a preemptible batch job, killed and resumed.
 *
 * 1. Runs the ensemble job (job.ts) in a child process and SIGKILLs it at a random write, at a
 *    random point: between steps, in the middle of a commit, just before or just after the
 *    catalog swap that is the commit point.
 * 2. Starts the job again: it resumes from the latest committed row and runs to the end.
 * 3. Meanwhile runs the same job uninterrupted into another folder and checkpoint.
 * 4. Compares the two output folders bit for bit, prints the catalog, exits 1 on any difference.
 *
 * The store is `CKPT_STORE` (file://, memory://, s3://, gs://) or the default folder. memory://
 * lives inside one process, so with it the job runs in this process and the "kill" freezes it at
 * the same points instead (it makes no further store call, as a killed process would not).
 *
 * 5. The SIGTERM case: runs the job again under another name, committing every 8 writes and
 *    watching SIGTERM, sends it SIGTERM at a random write and point; the job commits the boundary
 *    it reached and exits 143; started again, it resumes from exactly that write (zero steps
 *    recomputed), and its outputs are compared bit for bit with the reference too.
 *
 * Options: --kill <write>:<point>, --term <write>:<point> (instead of random ones), --members N,
 * --steps N, --work DIR.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  Checkpoint,
  CkptError,
  defaultStoreUrl,
  openStore,
  parseStoreUrl,
  redactUrl,
  type Store,
} from "@ckpt/core";
import { DEFAULT_CONFIG, type JobConfig, type JobEvents, type Preempted, runJob } from "./job.js";
import { compareOutputs } from "./output.js";
import { KILL_POINT_TEXT, KILL_POINTS, type PausePlan, parsePausePlan } from "./pause.js";

const jobScript = fileURLToPath(new URL("./job.ts", import.meta.url));

/** Messages job.ts sends over the IPC channel. */
type JobMessage =
  | { type: "started"; writeCount: number; commitId: string | undefined; total: number }
  | { type: "wrote"; write: number; total: number }
  | { type: "paused"; write: number; point: string }
  | ({ type: "preempted" } & Preempted)
  | { type: "done"; resumedFrom: number; writes: number };

/**
 * A counting line on a terminal for the runs in progress (`run 2: write 120/160   reference: write
 * 140/160`), nothing otherwise: the plain lines tell the story.
 */
class Counter {
  readonly #tty = process.stderr.isTTY === true;
  readonly #runs = new Map<string, string>();
  #last = 0;

  show(label: string, write: number, total: number): void {
    if (!this.#tty) return;
    this.#runs.set(label, `${label}: write ${write}/${total}`);
    const now = Date.now();
    if (now - this.#last < 50 && write !== total) return;
    this.#last = now;
    this.#draw();
  }

  /** The run ended: its count goes away. */
  done(label: string): void {
    this.#runs.delete(label);
    if (this.#tty) this.#draw();
  }

  /** Prints a plain line above the counting line. */
  log(line: string): void {
    if (this.#tty) process.stderr.write("\r\x1b[2K");
    console.log(line);
    if (this.#tty) this.#draw();
  }

  #draw(): void {
    process.stderr.write(`\r\x1b[2K${[...this.#runs.values()].join("   ")}`);
  }
}

interface RunOutcome {
  started: { writeCount: number; commitId: string | undefined };
  paused?: PausePlan;
  preempted?: Preempted;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * How a planned stop ends the job: `kill` freezes it and sends SIGKILL; `term` makes it watch
 * SIGTERM, holds it at the point until SIGTERM arrives, and lets it commit and exit.
 */
type StopKind = "kill" | "term";

/** Commit interval of the SIGTERM case: a kill there would lose up to this many steps minus one. */
const TERM_FLUSH_INTERVAL = 8;

interface Runner {
  /** Runs the job; with a plan, resolves once it was stopped there (killed, or preempted and exited). */
  run(name: string, outDir: string, label: string, plan?: PausePlan, stop?: StopKind): Promise<RunOutcome>;
  readonly how: string;
}

function jobArgs(
  name: string,
  outDir: string,
  storeUrl: string,
  config: JobConfig,
  plan?: PausePlan,
  stop: StopKind = "kill",
): string[] {
  const args = ["--name", name, "--out", outDir, "--store", storeUrl];
  args.push(
    "--members",
    String(config.members),
    "--steps",
    String(config.steps),
    "--seed",
    String(config.seed),
  );
  if (plan) args.push("--pause", `${plan.write}:${plan.point}`);
  if (plan && stop === "term") args.push("--preemptible", "--flush-interval", String(TERM_FLUSH_INTERVAL));
  return args;
}

/** Real child processes and a real SIGKILL (file://, s3://, gs://). */
function childRunner(storeUrl: string, config: JobConfig, counter: Counter): Runner {
  const tsx = import.meta.resolve("tsx");
  return {
    how: "a child process, killed with SIGKILL",
    run(name, outDir, label, plan, stop = "kill") {
      return new Promise((resolve, reject) => {
        const child: ChildProcess = fork(jobScript, jobArgs(name, outDir, storeUrl, config, plan, stop), {
          execArgv: ["--import", tsx, "--conditions=@ckpt/source"],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        const outcome: Partial<RunOutcome> = {};
        child.on("message", (message: JobMessage) => {
          if (message.type === "started") outcome.started = message;
          else if (message.type === "wrote") counter.show(label, message.write, message.total);
          else if (message.type === "paused") {
            outcome.paused = { write: message.write, point: message.point as PausePlan["point"] };
            child.kill(stop === "term" ? "SIGTERM" : "SIGKILL");
          } else if (message.type === "preempted") outcome.preempted = message;
        });
        child.on("error", reject);
        // "close", not "exit": by then every IPC message of the child has arrived.
        child.on("close", (code, signal) => {
          counter.done(label);
          outcome.exit = { code, signal };
          const killed = plan !== undefined && signal === "SIGKILL" && outcome.paused !== undefined;
          const preempted = stop === "term" && code === outcome.preempted?.exitCode;
          if (outcome.started !== undefined && (killed || preempted || (plan === undefined && code === 0)))
            resolve(outcome as RunOutcome);
          else
            reject(
              new CkptError(
                "E_DEMO",
                `${label}: the job exited unexpectedly (${signal ?? `exit code ${code}`})${plan ? " before reaching its kill point" : ""}`,
              ),
            );
        });
      });
    },
  };
}

/** In this process, the kill simulated by freezing the job (memory://, which no other process can see). */
function inProcessRunner(store: Store, config: JobConfig, counter: Counter): Runner {
  return {
    how: "in this process (memory:// is per process), frozen instead of SIGKILLed",
    run(name, outDir, label, plan, stop = "kill") {
      return new Promise((resolve, reject) => {
        const outcome: Partial<RunOutcome> = {};
        const term = plan !== undefined && stop === "term";
        let keepAlive: ReturnType<typeof setInterval> | undefined;
        const events: JobEvents = {
          started: (info) => {
            outcome.started = info;
          },
          wrote: (info) => counter.show(label, info.write, info.total),
          paused: (paused) => {
            outcome.paused = paused;
            if (term) {
              // A real SIGTERM to this process: only the job being preempted watches it. Signal
              // handlers keep no process alive: the timer does until the job has gone on.
              keepAlive = setInterval(() => {}, 60_000);
              return void process.kill(process.pid, "SIGTERM");
            }
            counter.done(label);
            // The frozen job's promise never settles and it makes no further store call.
            resolve(outcome as RunOutcome);
          },
        };
        const options = term
          ? { pause: plan, preemptible: true, flushInterval: TERM_FLUSH_INTERVAL }
          : { pause: plan };
        runJob({ name, store, outDir, config, ...options, events }).then(
          (result) => {
            clearInterval(keepAlive);
            counter.done(label);
            if (term && result.preempted !== undefined)
              resolve({ ...(outcome as RunOutcome), preempted: result.preempted });
            else if (plan)
              reject(new CkptError("E_DEMO", `${label}: the job finished without reaching its kill point`));
            else resolve(outcome as RunOutcome);
          },
          (error: unknown) => {
            clearInterval(keepAlive);
            reject(error);
          },
        );
      });
    },
  };
}

/**
 * Which row a resume must start from after a kill at `plan`, `lastCommit` being the last commit
 * completed before that write (the previous write when every write commits).
 */
function expectedResume(plan: PausePlan, lastCommit = plan.write - 1): number {
  return plan.point === "after-commit-point" ? plan.write : lastCommit;
}

/** A random SIGTERM point: a commit point needs a write that commits (a multiple of the interval). */
function randomTermPlan(total: number): PausePlan {
  const point = KILL_POINTS[randomInt(KILL_POINTS.length)]!;
  const commits = Math.floor((total - 1) / TERM_FLUSH_INTERVAL);
  if (point === "between-steps" || commits === 0)
    return { write: randomInt(2, total), point: "between-steps" };
  return { write: TERM_FLUSH_INTERVAL * randomInt(1, commits + 1), point };
}

/**
 * The SIGTERM case: the job, committing every TERM_FLUSH_INTERVAL writes and watching SIGTERM, is
 * signalled at `plan`, commits the boundary it reached and exits 143; started again, it resumes
 * from exactly that write. Returns whether it did.
 */
async function preemptionCase(
  runner: Runner,
  name: string,
  outDir: string,
  plan: PausePlan,
  total: number,
  counter: Counter,
): Promise<boolean> {
  counter.log(
    `SIGTERM case (checkpoint ${name}): the job commits every ${TERM_FLUSH_INTERVAL} writes and watches SIGTERM`,
  );
  const third = await runner.run(name, outDir, "run 3", plan, "term");
  const preempted = third.preempted!;
  const exited =
    third.exit === undefined
      ? `returned (in this process; a process exits with ${preempted.exitCode})`
      : `exited with ${third.exit.code}`;
  counter.log(
    `run 3: ${preempted.signal} during write ${preempted.signalledDuring}/${total}, ${KILL_POINT_TEXT[plan.point]}; it committed writeCount ${preempted.committed} (${preempted.commitId}) and ${exited}`,
  );
  const killResume = expectedResume(plan, preempted.lastCommitBefore);
  counter.log(
    `       a SIGKILL at that point would have resumed from writeCount ${killResume} and recomputed ${preempted.signalledDuring - killResume} step(s)`,
  );
  const fourth = await runner.run(name, outDir, "run 4");
  const resumed = fourth.started.writeCount;
  counter.log(
    `run 4: resumed from the row with writeCount ${resumed} (${fourth.started.commitId}) and ran to write ${total}: ${preempted.signalledDuring - resumed} step(s) recomputed`,
  );
  const problems = [
    preempted.signalledDuring === plan.write
      ? ""
      : `signalled during write ${preempted.signalledDuring}, not ${plan.write}`,
    preempted.committed === plan.write
      ? ""
      : `committed writeCount ${preempted.committed}, not ${plan.write}`,
    resumed === plan.write ? "" : `resumed from writeCount ${resumed}, not ${plan.write}`,
    third.exit === undefined || third.exit.code === 143 ? "" : `exited with ${third.exit.code}, not 143`,
  ].filter((problem) => problem !== "");
  for (const problem of problems) counter.log(`FAIL: ${problem}`);
  return problems.length === 0;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kill: { type: "string" },
      term: { type: "string" },
      members: { type: "string" },
      steps: { type: "string" },
      work: { type: "string" },
    },
  });
  const config: JobConfig = {
    ...DEFAULT_CONFIG,
    ...(values.members === undefined ? {} : { members: Number(values.members) }),
    ...(values.steps === undefined ? {} : { steps: Number(values.steps) }),
  };
  const total = config.members * config.steps;
  const plan: PausePlan =
    values.kill === undefined
      ? { write: randomInt(2, total), point: KILL_POINTS[randomInt(KILL_POINTS.length)]! }
      : parsePausePlan(values.kill, "--kill");
  if (plan.write > total)
    throw new CkptError("E_USAGE", `--kill write ${plan.write} is past the last write (${total})`);
  const termPlan = values.term === undefined ? randomTermPlan(total) : parsePausePlan(values.term, "--term");
  if (termPlan.write >= total)
    throw new CkptError(
      "E_USAGE",
      `--term write ${termPlan.write} must come before the last write (${total})`,
    );
  if (termPlan.point !== "between-steps" && termPlan.write % TERM_FLUSH_INTERVAL !== 0)
    throw new CkptError(
      "E_USAGE",
      `--term ${termPlan.write}:${termPlan.point}: only every ${TERM_FLUSH_INTERVAL}th write commits, so a commit point needs a multiple of ${TERM_FLUSH_INTERVAL}`,
    );

  const storeUrl = defaultStoreUrl();
  const inProcess = parseStoreUrl(storeUrl).protocol === "memory:";
  const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  const name = `lorenz96-demo-${runId}`;
  const referenceName = `${name}-reference`;
  const work = values.work ?? (await mkdtemp(join(tmpdir(), "ckpt-lorenz96-")));
  const interruptedOut = join(work, "interrupted");
  const referenceOut = join(work, "reference");
  const preemptedName = `${name}-sigterm`;
  const preemptedOut = join(work, "preempted");
  for (const folder of [interruptedOut, referenceOut, preemptedOut]) await mkdir(folder, { recursive: true });

  const counter = new Counter();
  const store = inProcess ? await openStore(storeUrl) : undefined;
  const runner = store ? inProcessRunner(store, config, counter) : childRunner(storeUrl, config, counter);
  const started = Date.now();

  console.log(
    `Lorenz-96 ensemble: ${config.members} members × ${config.steps} six-hour steps = ${total} restart boundaries`,
  );
  console.log(`store: ${redactUrl(storeUrl)}   checkpoint: ${name}`);
  console.log(`the job runs ${runner.how}`);

  // The uninterrupted reference runs alongside (two cores), into its own folder and checkpoint.
  const reference = runner.run(referenceName, referenceOut, "reference");
  reference.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled

  await runner.run(name, interruptedOut, "run 1", plan);
  counter.log(
    `run 1: ${inProcess ? "stopped" : "killed with SIGKILL"} during write ${plan.write}/${total}, ${KILL_POINT_TEXT[plan.point]}`,
  );

  const second = await runner.run(name, interruptedOut, "run 2");
  const resumed = second.started;
  counter.log(
    resumed.writeCount === 0
      ? "run 2: found no committed row and started from the beginning"
      : `run 2: resumed from the row with writeCount ${resumed.writeCount} (${resumed.commitId}) and ran to write ${total}`,
  );
  let ok = true;
  if (resumed.writeCount !== expectedResume(plan)) {
    ok = false;
    counter.log(
      `FAIL: expected to resume from writeCount ${expectedResume(plan)}, not ${resumed.writeCount}`,
    );
  }

  const preemption = await preemptionCase(runner, preemptedName, preemptedOut, termPlan, total, counter);
  ok &&= preemption;

  await reference;
  counter.log(`reference: an uninterrupted run alongside (checkpoint ${referenceName})`);

  for (const [label, folder] of [
    ["outputs", interruptedOut],
    ["outputs after SIGTERM", preemptedOut],
  ] as const) {
    const comparison = await compareOutputs(folder, referenceOut);
    if (comparison.identical)
      console.log(
        `${label}: identical, bit for bit (${comparison.files} files, ${comparison.bytes} bytes; ${folder} vs ${referenceOut})`,
      );
    else {
      ok = false;
      console.log(`${label}: DIFFERENT: ${comparison.difference}`);
    }
  }

  // Opened through this package's own store dependencies, so every scheme resolves.
  const readStore = store ?? (await openStore(storeUrl));
  const checkpoint = new Checkpoint(name, { store: readStore });
  // What the kill left behind: a commit no catalog row references is garbage by definition; gc
  // removes it once it is older than its grace period. A dry run only looks.
  const garbage = await checkpoint.gc({ olderThan: 0, dryRun: true });
  console.log(
    garbage.removed.length === 0
      ? "left behind: nothing (no commit folder outside the catalog)"
      : `left behind: ${garbage.removed.length} commit folder(s) no row references (${garbage.bytes} bytes: ${garbage.removed.join(", ")}); \`ckpt gc\` removes them after its grace period`,
  );
  console.log("");
  console.log(await checkpoint.format());
  await checkpoint.close();
  if (store === undefined) await readStore.close?.();
  console.log("");
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s${ok ? "" : " — FAILED"}`);
  if (!inProcess) {
    const cli = "node packages/cli/bin/ckpt.js";
    const shown = /^[\w:/.@%+=,-]+$/.test(storeUrl) ? storeUrl : `'${storeUrl.replaceAll("'", "'\\''")}'`;
    console.log(`look closer: ${cli} ls ${shown} ${name}`);
    console.log(`             ${cli} verify ${shown} ${name} --all`);
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A usage mistake needs its message, anything else its stack.
    const usage = error instanceof CkptError && error.code === "E_USAGE";
    console.error(error instanceof Error ? (usage ? error.message : (error.stack ?? error.message)) : error);
    process.exitCode = 1;
  },
);
