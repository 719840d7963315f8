/**
 * The child of the SIGKILL loops: resumes the checkpoint given on the command line (append mode,
 * historySize 4), checks that the restored state is whole, then commits for ever, printing
 * `ack <writeCount> <commitId>` after each `write` resolves. The parent kills it at a random moment.
 *
 * With `async` as a third argument the commits go to the background: the child writes, scribbles
 * over the state at once (the captured commit must not see it), and prints `ack` for the newest
 * row after each `drain()`, every third write.
 *
 * Usage: node committer.js <storeUrl> <checkpointName> [async]
 * Prints `ready <writeCount>` once restored; `bad <reason>` (and exits 3) if the restore was not whole.
 */
import { bindCheckpointState, Checkpoint } from "@ckpt/core";
import "@ckpt/store-fs";
import { Field, fieldProblem, fillField, initialField } from "../support/workload.js";

const [storeUrl, name, how] = process.argv.slice(2);
const async = how === "async";
if (storeUrl === undefined || name === undefined) throw new Error("usage: committer <storeUrl> <name>");
if (storeUrl.startsWith("s3:")) await import("@ckpt/store-s3");
if (storeUrl.startsWith("gs:")) await import("@ckpt/store-gcs");

const out = (line: string) => process.stdout.write(`${line}\n`);
out(`loaded ${Math.round(process.uptime() * 1000)}`);
const checkpoint = new Checkpoint(name, {
  store: storeUrl,
  mode: "append",
  historySize: 4,
  // A local server answers in a millisecond: short backoffs.
  retry: { baseDelayMs: 5, maxDelayMs: 200 },
  async,
  warn: (message) => out(`warn ${message.replaceAll("\n", " ")}`),
});

await checkpoint.run(async (session) => {
  const field = bindCheckpointState(Field, initialField("committer"));
  const problem = session.exists ? fieldProblem(field.value, session.writeCount) : undefined;
  if (problem !== undefined) {
    out(`bad restored ${session.commitId}: ${problem}`);
    process.exit(3);
  }
  out(`ready ${session.writeCount} ${Math.round(process.uptime() * 1000)}`);
  for (;;) {
    const n = session.writeCount + 1;
    fillField(field.value, n);
    await session.write({ step: n, label: `write ${n}`, at: new Date() });
    if (!async) {
      out(`ack ${n} ${session.commitId}`);
      continue;
    }
    fillField(field.value, -1);
    if (n % 3 !== 0) continue;
    const entry = await session.drain();
    out(`ack ${entry?.writeCount} ${entry?.commitId}`);
  }
});
