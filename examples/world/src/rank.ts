/**
 * One rank of the world demo: a process started with RANK and WORLD_SIZE, like torchrun starts
 * one. It restarts from the checkpoint (world-consistent by default), reports where it resumed,
 * then steps in lockstep with the other ranks: the parent's "go" for each step stands in for the
 * collective (all-reduce, barrier) a real coupled job makes every step. A "go" may tell the rank
 * to die (SIGKILL) in the middle of that step's commit: at its first object put, or at its catalog
 * swap once the manifest is written. With CKPT_WORLD_ASYNC=1 commits run in the background and a
 * step counts as acknowledged once it is durable (the session's newest committed row).
 *
 * Usage (the parent forks it with an IPC channel): RANK=1 WORLD_SIZE=4 rank.ts <store URL> <steps>
 */
import { bindCheckpointState, Checkpoint, openStore } from "@ckpt/core";
import { ForwardingStore, type StoreCall } from "@ckpt/core/testing";
import "@ckpt/store-fs";
import { type DieAt, expectedValue, type GoMessage, type RankMessage, RankState } from "./world.js";

const [storeUrl, stepsText] = process.argv.slice(2);
const steps = Number(stepsText);
const send = (message: RankMessage) => process.send!(message);

/** The rank's store: dies with SIGKILL at the armed moment of a commit. */
class DyingStore extends ForwardingStore {
  armed: DieAt | undefined;
  protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op === "put" && this.armed !== undefined) {
      const swap = call.key.endsWith("/catalog.json");
      if (
        (this.armed === "objects" && !swap && !call.key.endsWith("/manifest.json")) ||
        (this.armed === "swap" && swap)
      )
        process.kill(process.pid, "SIGKILL");
    }
    return run();
  }
}

/** Resolves when the parent lets every rank into `step` (the stand-in for the step's collective). */
function go(step: number): Promise<GoMessage> {
  return new Promise((resolve) => {
    const listener = (message: GoMessage) => {
      if (message.type === "go" && message.step === step) {
        process.off("message", listener);
        resolve(message);
      }
    };
    process.on("message", listener);
  });
}

const store = new DyingStore(await openStore(storeUrl!));
const checkpoint = new Checkpoint("world-demo", {
  store,
  async: process.env.CKPT_WORLD_ASYNC === "1",
  warn: () => {},
});
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
  let durable = resumed;
  for (let step = resumed + 1; step <= steps; step++) {
    send({ type: "at", rank: checkpoint.rank, step });
    store.armed = (await go(step)).die;
    state.value.step = step;
    state.value.value = expectedValue(checkpoint.rank, step, state.value.value);
    await session.write({ step });
    // Sync: durable once write() returns. Async: the newest row whose background commit finished.
    const newest = checkpoint.async ? (session.entry?.writeCount ?? durable) : step;
    if (newest > durable) {
      durable = newest;
      send({ type: "committed", rank: checkpoint.rank, step: durable });
    }
  }
  await session.drain();
  if (steps > durable) send({ type: "committed", rank: checkpoint.rank, step: steps });
});
await store.close?.();
send({ type: "done", rank: checkpoint.rank });
process.disconnect();
