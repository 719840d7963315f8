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
 * Options: --kill <write>:<point> (instead of a random one), --members N, --steps N, --work DIR.
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
import { DEFAULT_CONFIG, type JobConfig, type JobEvents, runJob } from "./job.js";
import { compareOutputs } from "./output.js";
import { KILL_POINT_TEXT, KILL_POINTS, type PausePlan, parsePausePlan } from "./pause.js";

const jobScript = fileURLToPath(new URL("./job.ts", import.meta.url));

/** Messages job.ts sends over the IPC channel. */
type JobMessage =
  | { type: "started"; writeCount: number; commitId: string | undefined; total: number }
  | { type: "wrote"; write: number; total: number }
  | { type: "paused"; write: number; point: string }
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
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

interface Runner {
  /** Runs the job; with a plan, resolves once it froze and was killed. */
  run(name: string, outDir: string, label: string, plan?: PausePlan): Promise<RunOutcome>;
  readonly how: string;
}

function jobArgs(
  name: string,
  outDir: string,
  storeUrl: string,
  config: JobConfig,
  plan?: PausePlan,
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
  return args;
}

/** Real child processes and a real SIGKILL (file://, s3://, gs://). */
function childRunner(storeUrl: string, config: JobConfig, counter: Counter): Runner {
  const tsx = import.meta.resolve("tsx");
  return {
    how: "a child process, killed with SIGKILL",
    run(name, outDir, label, plan) {
      return new Promise((resolve, reject) => {
        const child: ChildProcess = fork(jobScript, jobArgs(name, outDir, storeUrl, config, plan), {
          execArgv: ["--import", tsx, "--conditions=@ckpt/source"],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        const outcome: Partial<RunOutcome> = {};
        child.on("message", (message: JobMessage) => {
          if (message.type === "started") outcome.started = message;
          else if (message.type === "wrote") counter.show(label, message.write, message.total);
          else if (message.type === "paused") {
            outcome.paused = { write: message.write, point: message.point as PausePlan["point"] };
            child.kill("SIGKILL");
          }
        });
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          counter.done(label);
          outcome.exit = { code, signal };
          const killed = plan !== undefined && signal === "SIGKILL" && outcome.paused !== undefined;
          if (outcome.started !== undefined && (killed || (plan === undefined && code === 0)))
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
    run(name, outDir, label, plan) {
      return new Promise((resolve, reject) => {
        const outcome: Partial<RunOutcome> = {};
        const events: JobEvents = {
          started: (info) => {
            outcome.started = info;
          },
          wrote: (info) => counter.show(label, info.write, info.total),
          paused: (paused) => {
            counter.done(label);
            outcome.paused = paused;
            // The frozen job's promise never settles and it makes no further store call.
            resolve(outcome as RunOutcome);
          },
        };
        runJob({ name, store, outDir, config, pause: plan, events }).then(() => {
          counter.done(label);
          if (plan)
            reject(new CkptError("E_DEMO", `${label}: the job finished without reaching its kill point`));
          else resolve(outcome as RunOutcome);
        }, reject);
      });
    },
  };
}

/** Which row a resume must start from after a kill at `plan`. */
function expectedResume(plan: PausePlan): number {
  return plan.point === "after-commit-point" ? plan.write : plan.write - 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kill: { type: "string" },
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

  const storeUrl = defaultStoreUrl();
  const inProcess = parseStoreUrl(storeUrl).protocol === "memory:";
  const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  const name = `lorenz96-demo-${runId}`;
  const referenceName = `${name}-reference`;
  const work = values.work ?? (await mkdtemp(join(tmpdir(), "ckpt-lorenz96-")));
  const interruptedOut = join(work, "interrupted");
  const referenceOut = join(work, "reference");
  await mkdir(interruptedOut, { recursive: true });
  await mkdir(referenceOut, { recursive: true });

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

  await reference;
  counter.log(`reference: an uninterrupted run alongside (checkpoint ${referenceName})`);

  const comparison = await compareOutputs(interruptedOut, referenceOut);
  if (comparison.identical)
    console.log(
      `outputs: identical, bit for bit (${comparison.files} files, ${comparison.bytes} bytes; ${interruptedOut} vs ${referenceOut})`,
    );
  else {
    ok = false;
    console.log(`outputs: DIFFERENT: ${comparison.difference}`);
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
