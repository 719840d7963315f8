import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";
import { exited, nextMessage, spawnWorker } from "./workers/spawn.js";

type Outcome = { ok: true; version: string } | { ok: false; code?: string; message: string };

const WORKERS = 8;
const ROUNDS = 20;

describe("FsStore preconditions across processes (real disk)", () => {
  let root: string;
  let workers: ChildProcess[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-fs-race-"));
    workers = Array.from({ length: WORKERS }, () => spawnWorker("./racer.ts", [root]));
    await Promise.all(workers.map((worker) => nextMessage(worker, (message) => message === "ready")));
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.connected) worker.send("exit");
    await Promise.all(workers.map(exited));
    await rm(root, { recursive: true, force: true });
  });

  /** Sends every worker its command at once and collects the outcomes. */
  async function race(commands: readonly object[]): Promise<Outcome[]> {
    const outcomes = workers.map(
      (worker) =>
        nextMessage<Outcome | "ready">(worker, (message) => message !== "ready") as Promise<Outcome>,
    );
    workers.forEach((worker, i) => {
      worker.send(commands[i]!);
    });
    return Promise.all(outcomes);
  }

  function winnersOf(outcomes: readonly Outcome[]): number[] {
    const winners: number[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) winners.push(i);
      else expect(outcome.code, outcome.message).toBe("E_PRECONDITION_FAILED");
    });
    return winners;
  }

  it(`${WORKERS} processes racing create-only puts on one key: exactly one winner, ${ROUNDS} times`, async () => {
    const store = new FsStore({ root });
    for (let round = 0; round < ROUNDS; round++) {
      const key = `race/create-${round}`;
      const bodies = workers.map((_, i) => `round ${round} process ${i}`);
      const outcomes = await race(bodies.map((body) => ({ key, body, ifNoneMatch: "*" })));
      const winners = winnersOf(outcomes);
      expect(winners, `round ${round}`).toHaveLength(1);
      const stored = await store.get(key);
      expect(Buffer.from(stored.bytes).toString()).toBe(bodies[winners[0]!]);
      expect(stored.info.version).toBe((outcomes[winners[0]!] as { version: string }).version);
    }
  });

  it(`${WORKERS} processes racing ifMatch puts from one version: exactly one winner, ${ROUNDS} times`, async () => {
    const store = new FsStore({ root });
    const key = "race/update";
    let version = (await store.put(key, new TextEncoder().encode("start"))).version;
    for (let round = 0; round < ROUNDS; round++) {
      const bodies = workers.map((_, i) => `round ${round} process ${i}`);
      const outcomes = await race(bodies.map((body) => ({ key, body, ifMatch: version })));
      const winners = winnersOf(outcomes);
      expect(winners, `round ${round}`).toHaveLength(1);
      const stored = await store.get(key);
      expect(Buffer.from(stored.bytes).toString()).toBe(bodies[winners[0]!]);
      version = stored.info.version;
    }
  });
});
