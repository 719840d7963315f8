/**
 * Runs the concurrent-writers race: one reader process restoring continuously, and `writers`
 * racer processes that open their sessions, wait at a barrier, then commit `commits` writes each
 * to the same checkpoint. Resolves to what every process reported.
 */
import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { exited, onLines, startChild } from "./children.js";

export interface RaceOptions {
  readonly url: string;
  readonly name: string;
  readonly writers: number;
  readonly commits: number;
  readonly mode: "append" | "overwrite";
  /** Labels of writer i. */
  readonly labels: (writer: number) => Record<string, string | number>;
  readonly env?: NodeJS.ProcessEnv;
  /** Async commits in the writers (each acknowledged once drained). Default false. */
  readonly async?: boolean;
}

export interface RaceResult {
  /** The acknowledged commit ids of each writer, in order. */
  readonly acked: string[][];
  /** Rows the reader restored whole, rows it skipped because they were retired while it read, and the most rows it saw. */
  readonly reader: { restored: number; excused: number; maxRows: number };
  readonly seconds: number;
}

interface Tracked {
  child: ChildProcess;
  lines: string[];
  closed: Promise<void>;
  waitFor(prefix: string): Promise<string>;
}

function track(child: ChildProcess): Tracked {
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  onLines(child, (line) => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    child,
    lines,
    closed,
    waitFor: (prefix) => {
      const seen = lines.find((line) => line.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ prefix, resolve })),
        exited(child).then(() => {
          throw new Error(
            `child exited (${child.exitCode ?? child.signalCode}) before "${prefix}": ${lines.slice(-5).join(" | ")}`,
          );
        }),
      ]);
    },
  };
}

export async function runRace(options: RaceOptions): Promise<RaceResult> {
  const started = performance.now();
  const reader = track(await startChild("reader", [options.url, options.name, options.mode], options.env));
  const racers: Tracked[] = [];
  try {
    await reader.waitFor("ready");
    for (let writer = 0; writer < options.writers; writer++)
      racers.push(
        track(
          await startChild(
            "racer",
            [
              options.url,
              options.name,
              `w${writer}`,
              String(options.commits),
              JSON.stringify(options.labels(writer)),
              options.mode,
              ...(options.async === true ? ["async"] : []),
            ],
            options.env,
          ),
        ),
      );
    await Promise.all(racers.map((racer) => racer.waitFor("ready")));
    for (const racer of racers) racer.child.stdin?.write("go\n");
    await Promise.all(racers.map((racer) => racer.waitFor("done")));
    reader.child.stdin?.write("stop\n");
    const [, restored, excused, maxRows] = (await reader.waitFor("restored")).split(" ");
    await Promise.all([reader.closed, ...racers.map((racer) => racer.closed)]);
    for (const process of [reader, ...racers])
      expect(process.lines.filter((line) => line.startsWith("bad"))).toEqual([]);
    return {
      acked: racers.map((racer) =>
        racer.lines.filter((line) => line.startsWith("ack ")).map((line) => line.split(" ")[2]!),
      ),
      reader: { restored: Number(restored), excused: Number(excused), maxRows: Number(maxRows) },
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    for (const process of [reader, ...racers])
      if (process.child.exitCode === null) process.child.kill("SIGKILL");
  }
}
