/**
 * A job for the preemption tests: writes a boundary after every step, each step updating its state
 * in two halves with a pause between, and prints `ready` on stderr once `readyAfter` writes are
 * done, so the parent knows when to signal. When the preemption signal aborts, it prints
 * `signalled during write N` on stdout (N: the write being computed or committed).
 *
 * Usage: node --import tsx --conditions=@ckpt/source preempted-job.ts <storeUrl> <name> <scenario>
 *   steps:    flushInterval null, SIGTERM and SIGINT watched, no catch: the process must exit 128 + n
 *   stuck:    flushInterval 1, deadline 300 ms, reaches no boundary after the signal
 *   second:   as stuck, without a deadline: only a second signal ends it
 *   swallowed: as steps, but fn catches the error and returns
 *   handled:  as steps with exitOnPreemption false: catches the error, prints it as JSON, exits 0
 */
import { Checkpoint, CheckpointPreemptedError, PREEMPTION_SIGNALS } from "../../src/index.js";
import "@ckpt/store-fs";
import { StepState } from "./step-state.js";

const [storeUrl, name, scenario] = process.argv.slice(2);
if (scenario === undefined) throw new Error("usage: preempted-job <storeUrl> <name> <scenario>");

const stuck = scenario === "stuck" || scenario === "second";
const readyAfter = 3;
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));
const checkpoint = new Checkpoint(name!, { store: storeUrl!, flushInterval: stuck ? 1 : null });

const job = checkpoint.run(
  async (session, preempted) => {
    const state = session.bind(StepState, { first: 0, second: 0 }).value;
    let current = session.writeCount + 1;
    preempted.addEventListener("abort", () => process.stdout.write(`signalled during write ${current}\n`));
    for (; ; current++) {
      if (stuck && session.writeCount === readyAfter) {
        process.stderr.write("ready\n");
        // A step that never reaches its boundary; the interval keeps the process alive.
        setInterval(() => {}, 60_000);
        await new Promise(() => {});
      }
      state.first = current;
      await pause(2);
      state.second = current;
      if (scenario !== "swallowed") await session.write({ step: current });
      else
        try {
          await session.write({ step: current });
        } catch (error) {
          if (!(error instanceof CheckpointPreemptedError)) throw error;
          process.stdout.write(`caught ${error.code} at writeCount ${error.writeCount}\n`);
          return;
        }
      if (current === readyAfter) process.stderr.write("ready\n");
    }
  },
  {
    signals: PREEMPTION_SIGNALS,
    ...(scenario === "stuck" ? { preemptionDeadline: 300 } : {}),
    ...(scenario === "second" ? { preemptionDeadline: Number.POSITIVE_INFINITY } : {}),
    ...(scenario === "handled" ? { exitOnPreemption: false } : {}),
  },
);

if (scenario === "handled") {
  try {
    await job;
  } catch (error) {
    if (!(error instanceof CheckpointPreemptedError)) throw error;
    const { code, signal, exitCode, writeCount, commitId } = error;
    process.stdout.write(`${JSON.stringify({ code, signal, exitCode, writeCount, commitId })}\n`);
    // Still open after the run: the caller owns the rest of the process.
    await checkpoint.close();
  }
} else await job;
