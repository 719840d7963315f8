/**
 * The restartable ensemble job: `members` Lorenz-96 forecasts of `steps` 6-hour steps each, every
 * member perturbed and stochastically forced by its own seeded generator. It writes one output file
 * per member per step and records a restart boundary after each one with
 * `session.write({ leadTime, completedMembers })`, as an earth2studio ensemble workflow does. On a
 * restart it resumes from the latest committed row: `session.writeCount` says which (member, step)
 * comes next, and the bound states give back the model state and the generator's exact position.
 *
 * Run on its own:
 *   node --import tsx --conditions=@ckpt/source src/job.ts --name lorenz96 --out ./out
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  bindCheckpointState,
  Checkpoint,
  CheckpointPreemptedError,
  CheckpointSessionError,
  CkptError,
  checkpointState,
  defaultStoreUrl,
  openStore,
  PREEMPTION_SIGNALS,
  type Store,
} from "@ckpt/core";
import { z } from "zod";
import { DT, FORCING, HOURS_PER_STEP, initialCondition, Rk4Scratch, rk4Step, VARIABLES } from "./model.js";
import { writeOutput } from "./output.js";
import { type PausePlan, PausingStore, parsePausePlan } from "./pause.js";
import { seedRngState, Xoshiro128 } from "./rng.js";

/** The generator's whole state: xoshiro128**'s four words. */
export const RngState = checkpointState("lorenz96.RngState", z.object({ s: z.instanceof(Uint32Array) }));

/** The member's model state between steps. */
export const ModelState = checkpointState("lorenz96.ModelState", z.object({ x: z.instanceof(Float64Array) }));

/**
 * The job's static fields, the same at every boundary: a climatology, the attractor sampled over
 * {@link CLIMATOLOGY_STEPS} steps from the shared initial condition (320 KiB). With incremental
 * commits (ckpt's default) only the first commit stores it; every later row's manifest points at
 * that object, so checkpointing it costs one upload, not one per step.
 */
export const StaticFields = checkpointState(
  "lorenz96.StaticFields",
  z.object({ climatology: z.instanceof(Float64Array) }),
);

/** Steps of the climatology, each a row of {@link VARIABLES} values. */
export const CLIMATOLOGY_STEPS = 1024;

/** The climatology: row k is the state k steps after the initial condition. */
export function climatology(base: Float64Array = initialCondition()): Float64Array<ArrayBuffer> {
  const out = new Float64Array(CLIMATOLOGY_STEPS * VARIABLES);
  const x = Float64Array.from(base);
  const scratch = new Rk4Scratch(VARIABLES);
  for (let k = 0; k < CLIMATOLOGY_STEPS; k++) {
    out.set(x, k * VARIABLES);
    rk4Step(x, DT, FORCING, scratch);
  }
  return out;
}

/** Size of the ensemble and the forecast, and the perturbations. */
export interface JobConfig {
  readonly members: number;
  readonly steps: number;
  readonly seed: number;
  /** Standard deviation of the initial perturbation. */
  readonly perturbation: number;
  /** Standard deviation of the stochastic forcing per unit of model time. */
  readonly noise: number;
}

/** Four members, ten days of 6-hour steps. */
export const DEFAULT_CONFIG: JobConfig = { members: 4, steps: 40, seed: 96, perturbation: 0.01, noise: 0.3 };

/** What the job reports as it goes (the demo listens to these). */
export interface JobEvents {
  /** The session opened: `writeCount` 0 for a fresh start, else the row it resumes from. */
  started?(info: { writeCount: number; commitId: string | undefined; total: number }): void;
  /** Write number `write` (1-based) committed. */
  wrote?(info: { write: number; total: number; member: number; leadHours: number }): void;
  /** The job froze at its planned pause point (it will make no further progress). */
  paused?(plan: PausePlan): void;
}

/** Everything a run of the job needs. */
export interface JobOptions {
  /** Checkpoint name. */
  readonly name: string;
  /** An open store (memory:// must be shared this way) or a store URL; default `CKPT_STORE` or the default folder. */
  readonly store?: Store | string | undefined;
  /** Output folder. */
  readonly outDir: string;
  readonly config?: Partial<JobConfig> | undefined;
  /**
   * Stop at this point (the demo's kill point): freeze there for good, or, when `preemptible`,
   * hold there until the preemption signal arrives.
   */
  readonly pause?: PausePlan | undefined;
  /**
   * Treat SIGTERM and SIGINT as a preemption notice: the next write commits its boundary and the
   * job returns `preempted` (the process is left to exit with its `exitCode`).
   */
  readonly preemptible?: boolean | undefined;
  /** Commit every N writes (default 1). */
  readonly flushInterval?: number | undefined;
  readonly events?: JobEvents | undefined;
}

/** How a preempted run ended. */
export interface Preempted {
  readonly signal: string;
  /** 128 + the signal's number: 143 for SIGTERM. */
  readonly exitCode: number;
  /** The write (1-based) the job was computing or committing when the signal came. */
  readonly signalledDuring: number;
  /** writeCount of the row committed at that boundary. */
  readonly committed: number | undefined;
  readonly commitId: string | undefined;
  /** writeCount of the last commit before the signal (a SIGKILL would have resumed from it). */
  readonly lastCommitBefore: number;
}

/** How the run went. */
export interface JobResult {
  readonly resumedFrom: number;
  readonly resumedCommitId: string | undefined;
  readonly writes: number;
  /** Set when a preemption signal ended the run before its last write. */
  readonly preempted?: Preempted | undefined;
}

/**
 * Runs (or resumes) the job to completion. With a `pause` plan the returned promise never settles
 * once the job freezes, as a killed process never returns.
 */
export async function runJob(options: JobOptions): Promise<JobResult> {
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const total = config.members * config.steps;
  const inner =
    typeof options.store === "object" ? options.store : await openStore(options.store ?? defaultStoreUrl());
  let signalArrived: () => void = () => {};
  const arrived = new Promise<void>((done) => {
    signalArrived = done;
  });
  const store = new PausingStore(
    inner,
    options.pause,
    (plan) => options.events?.paused?.(plan),
    options.preemptible ? arrived : undefined,
  );
  const flushInterval = options.flushInterval ?? 1;
  const checkpoint = new Checkpoint(options.name, { store, mode: "overwrite", flushInterval, level: 2 });
  const base = initialCondition();
  const scratch = new Rk4Scratch(VARIABLES);
  let result: JobResult | undefined;
  let current = 0;
  let lastCommit = 0;
  let signalledDuring = 0;
  let lastCommitBefore = 0;
  let started = { resumedFrom: 0, resumedCommitId: undefined as string | undefined };

  const job = checkpoint.run(
    async (session, preempted) => {
      preempted.addEventListener("abort", () => {
        signalledDuring = current;
        lastCommitBefore = lastCommit;
        signalArrived();
      });
      // Bound states are restored from the row being resumed, in place of these initial values.
      const rngState = bindCheckpointState(RngState, { s: seedRngState(config.seed, 0).s }).value;
      const model = bindCheckpointState(ModelState, { x: new Float64Array(VARIABLES) }).value;
      // Static: restored unchanged, committed at every boundary, uploaded once.
      bindCheckpointState(StaticFields, { climatology: climatology(base) });
      const rng = new Xoshiro128(rngState);
      const resumedFrom = session.writeCount;
      const resumedCommitId = session.commitId ?? undefined;
      started = { resumedFrom, resumedCommitId };
      options.events?.started?.({ writeCount: resumedFrom, commitId: resumedCommitId, total });
      // As an earth2studio ensemble loop: the row's completedMembers says which members are done; the
      // write count says how far the first incomplete one got. The two must agree.
      const completedMembers: number[] =
        resumedFrom > 0 ? [...(session.metadataValue("completedMembers") as number[])] : [];
      if (completedMembers.length !== Math.floor(resumedFrom / config.steps))
        throw new CheckpointSessionError(
          options.name,
          `row ${resumedCommitId} lists members [${completedMembers.join(", ")}] as complete, but its write count ${resumedFrom} says ${Math.floor(resumedFrom / config.steps)}`,
        );

      lastCommit = resumedFrom;
      for (let write = resumedFrom + 1; write <= total; write++) {
        current = write;
        const member = Math.floor((write - 1) / config.steps);
        const step = (write - 1) % config.steps;
        if (step === 0) {
          // A new member: its own generator, its own perturbed start.
          rngState.s = seedRngState(config.seed, member + 1).s;
          const x = Float64Array.from(base);
          for (let i = 0; i < x.length; i++) x[i] = x[i]! + config.perturbation * rng.normal();
          model.x = x;
        }
        const x = model.x;
        rk4Step(x, DT, FORCING, scratch);
        const amplitude = config.noise * Math.sqrt(DT);
        for (let i = 0; i < x.length; i++) x[i] = x[i]! + amplitude * rng.normal();
        const leadHours = (step + 1) * HOURS_PER_STEP;
        await writeOutput(options.outDir, member, leadHours, x);
        if (step === config.steps - 1) completedMembers.push(member);

        store.beginWrite(write);
        await store.checkpointReached("between-steps");
        // A duration, as earth2studio's timedelta lead_time: the catalog table shows "66 hours".
        const leadTime = { milliseconds: leadHours * 3_600_000 };
        if (await session.write({ leadTime, member, completedMembers: [...completedMembers] }))
          lastCommit = write;
        options.events?.wrote?.({ write, total, member, leadHours });
      }
      result = { resumedFrom, resumedCommitId, writes: total - resumedFrom };
    },
    options.preemptible ? { signals: PREEMPTION_SIGNALS, exitOnPreemption: false } : {},
  );
  try {
    await job;
  } catch (error) {
    // The caller handles the preemption: report it, close, and leave the exit code to the caller.
    if (!(error instanceof CheckpointPreemptedError) || result !== undefined) throw error;
    result = {
      ...started,
      writes: signalledDuring - started.resumedFrom,
      preempted: {
        signal: error.signal,
        exitCode: error.exitCode,
        signalledDuring,
        committed: error.writeCount,
        commitId: error.commitId,
        lastCommitBefore,
      },
    };
  }
  // Let background clean-up of retired commits finish; close the store only if we opened it.
  await checkpoint.close();
  if (typeof options.store !== "object") await inner.close?.();
  return result!;
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: "string" },
      out: { type: "string" },
      store: { type: "string" },
      members: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      pause: { type: "string" },
      preemptible: { type: "boolean" },
      "flush-interval": { type: "string" },
    },
  });
  if (values.name === undefined || values.out === undefined)
    throw new CkptError(
      "E_USAGE",
      "usage: job.ts --name <checkpoint> --out <folder> [--store URL] [--members N] [--steps N] [--seed N] [--preemptible] [--flush-interval N]",
    );
  const send = (message: object) => {
    if (process.send) process.send(message);
  };
  const config: Partial<JobConfig> = {
    ...(values.members === undefined ? {} : { members: Number(values.members) }),
    ...(values.steps === undefined ? {} : { steps: Number(values.steps) }),
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  };
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  const result = await runJob({
    name: values.name,
    store: values.store,
    outDir: values.out,
    config,
    pause: values.pause === undefined ? undefined : parsePausePlan(values.pause),
    preemptible: values.preemptible,
    flushInterval: values["flush-interval"] === undefined ? undefined : Number(values["flush-interval"]),
    events: {
      started: (info) => {
        send({ type: "started", ...info });
        if (!process.send)
          console.log(
            info.writeCount === 0
              ? "starting fresh"
              : `resuming after write ${info.writeCount} (${info.commitId})`,
          );
      },
      wrote: (info) => send({ type: "wrote", ...info }),
      paused: (plan) => {
        send({ type: "paused", ...plan });
        // Keep the stopped process alive until its parent kills or signals it (signal handlers do
        // not keep Node running).
        keepAlive = setInterval(() => {}, 60_000);
      },
    },
  });
  clearInterval(keepAlive);
  const { preempted } = result;
  if (preempted !== undefined) {
    send({ type: "preempted", ...preempted });
    if (!process.send)
      console.log(
        `${preempted.signal} during write ${preempted.signalledDuring}: committed writeCount ${preempted.committed} (${preempted.commitId}); exiting with ${preempted.exitCode}`,
      );
    // The conventional code for a process ended by the signal: 128 + its number.
    process.exitCode = preempted.exitCode;
  } else {
    send({ type: "done", ...result });
    if (!process.send) console.log(`done: ${result.writes} writes`);
  }
  process.disconnect?.();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
}
