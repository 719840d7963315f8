/**
 * One rank of the world demo: a process started with RANK and WORLD_SIZE, like torchrun starts
 * one. It restarts from the checkpoint (world-consistent by default), reports where it resumed,
 * then steps in lockstep with the other ranks: the parent's "go" for each step stands in for the
 * collective (all-reduce, barrier) a real coupled job makes every step.
 *
 * Usage (the parent forks it with an IPC channel): RANK=1 WORLD_SIZE=4 rank.ts <store URL> <steps>
 */
import { bindCheckpointState, Checkpoint } from "@ckpt/core";
import "@ckpt/store-fs";
import { expectedValue, type RankMessage, RankState } from "./world.js";

const [storeUrl, stepsText] = process.argv.slice(2);
const steps = Number(stepsText);
const send = (message: RankMessage) => process.send!(message);

/** Resolves when the parent lets every rank into `step` (the stand-in for the step's collective). */
function go(step: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: { type: string; step: number }) => {
      if (message.type === "go" && message.step === step) {
        process.off("message", listener);
        resolve();
      }
    };
    process.on("message", listener);
  });
}

const checkpoint = new Checkpoint("world-demo", { store: storeUrl, warn: () => {} });
await checkpoint.run(async (session) => {
  const state = bindCheckpointState(RankState, { rank: checkpoint.rank, step: 0, value: 0 });
  const resumed = session.writeCount;
  send({
    type: "resumed",
    rank: checkpoint.rank,
    writeCount: resumed,
    ownState:
      state.value.rank === checkpoint.rank &&
      state.value.step === resumed &&
      state.value.value === expectedValue(checkpoint.rank, resumed),
  });
  for (let step = resumed + 1; step <= steps; step++) {
    send({ type: "at", rank: checkpoint.rank, step });
    await go(step);
    state.value.step = step;
    state.value.value = expectedValue(checkpoint.rank, step, state.value.value);
    await session.write({ step });
    send({ type: "committed", rank: checkpoint.rank, step });
  }
});
send({ type: "done", rank: checkpoint.rank });
process.disconnect();
