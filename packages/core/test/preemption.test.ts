import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  Checkpoint,
  CheckpointOptionError,
  CheckpointPreemptedError,
  checkpointState,
  ForwardingStore,
  NullCheckpoint,
  type PreemptionSignal,
  type StoreCall,
} from "../src/index.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";
import { StepState } from "./support/step-state.js";

// Real child processes get real signals; the committed rows are read back from the real folder.

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
const jobScript = fileURLToPath(new URL("./support/preempted-job.ts", import.meta.url));
const folders: string[] = [];

afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function folderStore(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "ckpt-preemption-"));
  folders.push(folder);
  return pathToFileURL(folder).href;
}

/**
 * Runs the job script and sends `signals` in order: the first once it says `ready`, each next one
 * once it printed that the previous arrived.
 */
function runJob(store: string, scenario: string, signals: readonly PreemptionSignal[]): Promise<ChildOutput> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@ckpt/source", jobScript, store, "job", scenario],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output = new Promise<ChildOutput>((done, fail) => {
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
  let sent = 0;
  let stderr = "";
  let stdout = "";
  const next = () => {
    const signal = signals[sent];
    if (signal === undefined) return;
    sent++;
    child.kill(signal);
  };
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (sent === 0 && stderr.includes("ready\n")) next();
  });
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (sent === 1 && stdout.includes("signalled during write")) next();
  });
  return output;
}

interface ChildOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

async function latestRow(store: string) {
  const checkpoint = new Checkpoint("job", { store });
  try {
    const session = await checkpoint.select(-1);
    const state = { ...session.bind(StepState, { first: -1, second: -1 }).value };
    return { writeCount: session.writeCount, step: session.metadataValue("step"), state };
  } finally {
    await checkpoint.close();
  }
}

function signalledDuring(stdout: string): number {
  const match = /signalled during write (\d+)/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return Number(match![1]);
}

describe("a preemption signal in a child process (folder store)", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("%s: the next write commits its boundary and the process exits %i", async (signal, code) => {
    const store = await folderStore();
    const run = await runJob(store, "steps", [signal]);
    expect(run.code, run.stderr).toBe(code);
    expect(run.signal).toBeNull();
    const during = signalledDuring(run.stdout);
    // flushInterval is null: without the signal nothing would have been committed at all.
    const row = await latestRow(store);
    expect(row.writeCount).toBe(during);
    expect(row.step).toBe(during);
    expect(row.state).toEqual({ first: during, second: during });
    expect(run.stderr).toContain(`received ${signal}`);
    expect(run.stderr).toContain(`committed the write boundary at writeCount ${during}`);
  });

  it("a job that commits no boundary before the deadline exits 143, keeping the rows committed before", async () => {
    const store = await folderStore();
    const run = await runJob(store, "stuck", ["SIGTERM"]);
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain("committed no write boundary within 300 ms");
    const row = await latestRow(store);
    expect(row.writeCount).toBe(3);
    expect(row.state).toEqual({ first: 3, second: 3 });
  });

  it("a second signal exits at once with 128 + its number", async () => {
    const store = await folderStore();
    const run = await runJob(store, "second", ["SIGTERM", "SIGINT"]);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain("received SIGINT while preempted");
    expect((await latestRow(store)).writeCount).toBe(3);
  });

  it("fn that catches the error and returns: run() commits, and the process still exits 143", async () => {
    const store = await folderStore();
    const run = await runJob(store, "swallowed", ["SIGTERM"]);
    expect(run.code, run.stderr).toBe(143);
    const during = signalledDuring(run.stdout);
    expect(run.stdout).toContain(`caught E_PREEMPTED at writeCount ${during}`);
    expect(run.stderr).toContain("received SIGTERM; the run ended");
    expect((await latestRow(store)).writeCount).toBe(during);
  });

  it("with exitOnPreemption false the caller catches CheckpointPreemptedError and the process goes on", async () => {
    const store = await folderStore();
    const run = await runJob(store, "handled", ["SIGTERM"]);
    expect(run.code, run.stderr).toBe(0);
    const during = signalledDuring(run.stdout);
    const reported = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(reported).toMatchObject({
      code: "E_PREEMPTED",
      signal: "SIGTERM",
      exitCode: 143,
      writeCount: during,
    });
    expect((await latestRow(store)).writeCount).toBe(during);
  });
});

describe("NullCheckpoint.run", () => {
  it("hands fn an AbortSignal that never aborts and takes the preemption options, installing nothing", async () => {
    const before = process.listenerCount("SIGUSR2");
    const off = new NullCheckpoint();
    const seen = await off.run(
      (session, preempted) => {
        expect(process.listenerCount("SIGUSR2")).toBe(before);
        return { enabled: session.enabled, aborted: preempted.aborted };
      },
      { signals: ["SIGUSR2"] },
    );
    expect(seen).toEqual({ enabled: false, aborted: false });
  });
});

const Counter = checkpointState("test.PreemptionCounter", z.object({ steps: z.number() }));

describe.each(memfsAndDisk("preemption"))("a preemption signal in this process ($name)", ({ open }) => {
  it("aborts fn's signal, commits at the next write, and leaves the process's own listeners", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("in-process", { store, flushInterval: 10 });
    const seen: string[] = [];
    const own = () => seen.push("own listener");
    process.on("SIGUSR2", own);
    const before = process.listenerCount("SIGUSR2");
    let reason: unknown;
    let during = 0;
    try {
      const outcome = checkpoint.run(
        async (session, preempted) => {
          expect(process.listenerCount("SIGUSR2")).toBe(before + 1);
          preempted.addEventListener("abort", () => {
            reason = preempted.reason;
          });
          const counter = session.bind(Counter, { steps: 0 }).value;
          for (let write = 1; write <= 100; write++) {
            counter.steps = write;
            if (write === 4) {
              process.kill(process.pid, "SIGUSR2");
              // The signal arrives on a later turn of the event loop, as it would during real work.
              while (!preempted.aborted) await new Promise((done) => setTimeout(done, 1));
              during = write;
            }
            await session.write({ write });
          }
        },
        { signals: ["SIGUSR2"], exitOnPreemption: false },
      );
      const error = await outcome.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(CheckpointPreemptedError);
      expect(error).toMatchObject({
        code: "E_PREEMPTED",
        signal: "SIGUSR2",
        exitCode: 128 + constants.signals.SIGUSR2,
      });
      expect((error as CheckpointPreemptedError).writeCount).toBe(4);
    } finally {
      process.off("SIGUSR2", own);
    }
    expect(during).toBe(4);
    expect(reason).toBeInstanceOf(CheckpointPreemptedError);
    expect(seen).toEqual(["own listener"]);
    expect(process.listenerCount("SIGUSR2")).toBe(before - 1);
    const latest = await checkpoint.select(-1);
    expect(latest.writeCount).toBe(4);
    expect(latest.metadataValue("write")).toBe(4);
    expect(latest.bind(Counter, { steps: 0 }).value.steps).toBe(4);
  });

  it("with async commits, the boundary after the signal is committed durably before the error", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("in-process-async", { store, flushInterval: 2, async: true });
    const error = await checkpoint
      .run(
        async (session, preempted) => {
          const counter = session.bind(Counter, { steps: 0 }).value;
          for (let write = 1; write <= 100; write++) {
            counter.steps = write;
            if (write === 5) {
              process.kill(process.pid, "SIGUSR2");
              while (!preempted.aborted) await new Promise((done) => setTimeout(done, 1));
            }
            await session.write({ write });
          }
        },
        { signals: ["SIGUSR2"], exitOnPreemption: false },
      )
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(CheckpointPreemptedError);
    const preemptedError = error as CheckpointPreemptedError;
    expect(preemptedError.writeCount).toBe(5);
    // The error names the row, and that row is already in the catalog: the process may exit now.
    const rows = await new Checkpoint("in-process-async", { store }).catalog();
    expect(rows.at(-1)?.commitId).toBe(preemptedError.commitId);
    const latest = await checkpoint.select(-1);
    expect(latest.writeCount).toBe(5);
    expect(latest.bind(Counter, { steps: 0 }).value.steps).toBe(5);
  });

  it("a write whose commit is in flight when the signal comes throws once that commit is done", async () => {
    // The signal is sent, and waited for, while the second commit's catalog swap is on its way.
    let preempted: AbortSignal | undefined;
    class SignalDuringSwap extends ForwardingStore {
      protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
        if (call.op === "put" && call.key.endsWith("catalog.json") && preempted !== undefined) {
          const signal = preempted;
          preempted = undefined;
          process.kill(process.pid, "SIGUSR2");
          while (!signal.aborted) await new Promise((done) => setTimeout(done, 1));
        }
        return run();
      }
    }
    const checkpoint = new Checkpoint("in-process", { store: new SignalDuringSwap(await open()) });
    const outcomes: string[] = [];
    const run = checkpoint.run(
      async (session, signal) => {
        await session.write({ write: 1 });
        preempted = signal;
        try {
          await session.write({ write: 2 });
          outcomes.push("write 2 returned");
        } catch (error) {
          outcomes.push(
            error instanceof CheckpointPreemptedError ? `E_PREEMPTED ${error.writeCount}` : String(error),
          );
          throw error;
        }
      },
      { signals: ["SIGUSR2"], exitOnPreemption: false },
    );
    await expect(run).rejects.toBeInstanceOf(CheckpointPreemptedError);
    expect(outcomes).toEqual(["E_PREEMPTED 2"]);
    expect((await checkpoint.select(-1)).writeCount).toBe(2);
  });

  it("removes its handlers when a run without a signal returns, and does not abort fn's signal", async () => {
    const checkpoint = new Checkpoint("in-process", { store: await open() });
    const before = process.listenerCount("SIGUSR2");
    let aborted: boolean | undefined;
    const written = await checkpoint.run(
      async (session, preempted) => {
        expect(process.listenerCount("SIGUSR2")).toBe(before + 1);
        await session.write({ step: 1 });
        aborted = preempted.aborted;
        return session.writeCount;
      },
      { signals: ["SIGUSR2"] },
    );
    expect(written).toBe(1);
    expect(aborted).toBe(false);
    expect(process.listenerCount("SIGUSR2")).toBe(before);
    expect((await checkpoint.select(-1)).writeCount).toBe(1);
  });

  it("refuses a signal it does not know, before running fn", async () => {
    const checkpoint = new Checkpoint("in-process", { store: await open() });
    let ran = false;
    const run = checkpoint.run(
      () => {
        ran = true;
      },
      { signals: ["SIGKILL" as PreemptionSignal] },
    );
    await expect(run).rejects.toBeInstanceOf(CheckpointOptionError);
    await expect(run).rejects.toMatchObject({ option: "signals" });
    expect(ran).toBe(false);
    expect(await checkpoint.catalog()).toEqual([]);
  });
});
