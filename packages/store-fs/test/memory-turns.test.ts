/**
 * The memory store's large writes take turns with the rest of the event loop: memfs settles every
 * call in a microtask, and without turns the puts of a commit ran as one block that held the job's
 * timers and I/O off (an async commit then delayed the very compute it should hide behind).
 */
import { openStore } from "@ckpt/core";
import { expect, it } from "vitest";
import "../src/index.js";

const MiB = 1024 * 1024;

/** Counts the turns of the event loop until `stop()`: one per check phase. */
function countTurns(): { stop: () => number } {
  let turns = 0;
  let counting = true;
  const tick = () => {
    if (!counting) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      counting = false;
      return turns;
    },
  };
}

it("a memory store's puts in flight write one large body per turn of the event loop", async () => {
  const store = await openStore(`memory://turns-${process.pid}`);
  const body = new Uint8Array(4 * MiB).fill(7);
  const counter = countTurns();
  await Promise.all(
    [0, 1, 2, 3].map((index) => store.put(`objects/${index}`, [body], { size: body.byteLength })),
  );
  expect(counter.stop()).toBeGreaterThanOrEqual(4);
  // The bytes are all there, as written.
  for (const index of [0, 1, 2, 3]) {
    const { bytes } = await store.get(`objects/${index}`);
    expect(bytes.byteLength).toBe(body.byteLength);
    expect(bytes.every((byte) => byte === 7)).toBe(true);
  }
});

it("a timer due while a memory store's puts are in flight runs before they all finish", async () => {
  const store = await openStore(`memory://timer-${process.pid}`);
  const body = new Uint8Array(4 * MiB);
  let fired = false;
  // Due once the first write has started: the writes still to come must let it run.
  const puts = [0, 1, 2, 3, 4, 5, 6, 7].map((index) =>
    store.put(`objects/${index}`, [body], { size: body.byteLength }),
  );
  setTimeout(() => {
    fired = true;
  }, 0);
  const firedBeforeLast: boolean[] = [];
  await Promise.all(puts.map((put) => put.then(() => firedBeforeLast.push(fired))));
  expect(firedBeforeLast.at(-1)).toBe(true);
});
