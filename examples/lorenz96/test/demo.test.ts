import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KILL_POINT_TEXT, KILL_POINTS } from "../src/pause.js";
import { expectSigtermCaseResumedExactly, runDemo, storeFsPresent } from "./support.js";

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ckpt-lorenz96-test-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The demo with 2 members × 5 steps on a folder store, its outputs under `work/<outputs>`. */
function runSmallDemo(stops: readonly string[], outputs: string) {
  return runDemo(pathToFileURL(join(work, "store")).href, [
    ...stops,
    ...["--members", "2", "--steps", "5", "--work", join(work, outputs)],
  ]);
}

/** The row the demo must resume from after a kill during `write` at `point`. */
function expectedRow(write: number, point: string): number {
  return point === "after-commit-point" ? write : write - 1;
}

describe.skipIf(!storeFsPresent)(
  "the demo on a folder (child processes, SIGKILL; needs @ckpt/store-fs)",
  () => {
    it.each(KILL_POINTS)("resumes after a kill at %s and ends bit-identical", async (point) => {
      const write = 7;
      const run = await runSmallDemo(["--kill", `${write}:${point}`], `out-${point}`);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain("killed with SIGKILL during write 7/10");
      expect(run.stdout).toContain(`resumed from the row with writeCount ${expectedRow(write, point)}`);
      expect(run.stdout).toContain("outputs: identical, bit for bit (10 files, 3200 bytes");
      expect(run.stdout).toContain("completedMembers");
    });

    it("runs the full default ensemble with a random kill", async () => {
      const run = await runDemo(pathToFileURL(join(work, "store")).href, [
        "--work",
        join(work, "out-default"),
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/killed with SIGKILL during write \d+\/160/);
      expect(run.stdout).toContain("outputs: identical, bit for bit (160 files, 51200 bytes");
    });
  },
);

describe.skipIf(!storeFsPresent)(
  "the demo's SIGTERM case on a folder (child processes, real SIGTERM; needs @ckpt/store-fs)",
  () => {
    it.each(KILL_POINTS)(
      "SIGTERM at %s: commits that write, exits 143, resumes from it and ends bit-identical",
      async (point) => {
        // Write 8 is the one the job commits anyway (every 8 writes); others only commit on SIGTERM.
        const write = point === "between-steps" ? 6 : 8;
        const run = await runSmallDemo(
          ["--kill", "3:between-steps", "--term", `${write}:${point}`],
          `term-${point}`,
        );
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(run.stdout).toContain(
          `run 3: SIGTERM during write ${write}/10, ${KILL_POINT_TEXT[point]}; it committed writeCount ${write} (commit_0000000${write}_`,
        );
        expectSigtermCaseResumedExactly(run, 10);
        expect(run.stdout).toMatch(
          new RegExp(
            `run 4: resumed from the row with writeCount ${write} \\(commit_0000000${write}_\\w+\\) and ran to write 10: 0 step\\(s\\) recomputed`,
          ),
        );
      },
    );
  },
);

describe.skipIf(!storeFsPresent)("the demo on memory:// (in one process; needs @ckpt/store-fs)", () => {
  it.each(["mid-commit", "after-commit-point"])(
    "resumes after a stop at %s and ends bit-identical",
    async (point) => {
      const run = await runDemo("memory://demo", [
        "--kill",
        `4:${point}`,
        "--members",
        "2",
        "--steps",
        "3",
        "--work",
        join(work, `memory-${point}`),
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain("frozen instead of SIGKILLed");
      expect(run.stdout).toContain("stopped during write 4/6");
      expect(run.stdout).toContain(`resumed from the row with writeCount ${expectedRow(4, point)}`);
      expect(run.stdout).toContain("outputs: identical, bit for bit (6 files");
    },
  );

  it("SIGTERM to this process: the job commits the write it reached and resumes from it", async () => {
    const run = await runDemo("memory://demo", [
      "--term",
      "4:between-steps",
      "--members",
      "2",
      "--steps",
      "3",
      "--work",
      join(work, "memory-term"),
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("run 3: SIGTERM during write 4/6");
    expect(run.stdout).toContain("it committed writeCount 4");
    expect(run.stdout).toContain("a process exits with 143");
    expect(run.stdout).toContain("0 step(s) recomputed");
    expect(run.stdout).toContain("outputs after SIGTERM: identical, bit for bit (6 files");
    expect(run.stdout).not.toContain("FAIL");
  });
});
