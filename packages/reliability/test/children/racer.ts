/**
 * A writer of the concurrent-writers test: opens a session of the checkpoint with the labels
 * given (JSON), prints `ready`, waits for `go` on stdin, then commits `count` writes of the small
 * workload state (every element = the write count, `writer` = its id), printing
 * `ack <n> <commitId>` after each write resolves, and `done` at the end.
 *
 * With `async` last, each write commits in the background: the writer scribbles over its state at
 * once (the captured commit must not see it) and acknowledges the write once `drain()` resolves.
 *
 * Usage: node racer.js <storeUrl> <name> <writer> <count> <labels JSON> <mode> [async]
 */
import { createInterface } from "node:readline";
import { Checkpoint, type CheckpointMode } from "@ckpt/core";
import "@ckpt/store-fs";
import { fillField, initialSmallField, SmallField } from "../support/workload.js";

const [storeUrl, name, writer, countText, labelsText, mode, how] = process.argv.slice(2);
if (mode === undefined) throw new Error("usage: racer <storeUrl> <name> <writer> <count> <labels> <mode>");
if (storeUrl!.startsWith("s3:")) await import("@ckpt/store-s3");
if (storeUrl!.startsWith("gs:")) await import("@ckpt/store-gcs");

const out = (line: string) => process.stdout.write(`${line}\n`);
const checkpoint = new Checkpoint(name!, {
  store: storeUrl!,
  mode: mode as CheckpointMode,
  historySize: null,
  retry: { baseDelayMs: 2, maxDelayMs: 100 },
  async: how === "async",
  warn: (message) => out(`warn ${message.replaceAll("\n", " ")}`),
});
const session = await checkpoint.select(undefined, { labels: JSON.parse(labelsText!) });
const field = session.bind(SmallField, initialSmallField(writer));
// A new session starts at 0 whatever the other writers committed meanwhile.
const base = session.writeCount;
out(`ready ${base}`);
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === "go") break;
for (let n = base + 1; n <= base + Number(countText); n++) {
  fillField(field.value, n);
  field.value.writer = writer!;
  await session.write({ writer: writer!, n });
  if (how === "async") {
    fillField(field.value, -1);
    await session.drain();
  }
  out(`ack ${n} ${session.commitId}`);
}
await checkpoint.close();
out("done");
// stdin stays open (the parent's pipe): leave without waiting for it.
process.exit(0);
