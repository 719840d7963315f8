/**
 * The reader of the concurrent-writers test: until `stop` arrives on stdin, reads the catalog,
 * picks a row (the latest, or a random one), restores it and checks it is whole (every element =
 * the row's write count, `writer` = the row's metadata writer). A row that fails to read is
 * only excused when a fresh catalog no longer holds it (overwrite mode retires rows while we
 * read); any other failure prints `bad …` and exits 3. Prints `restored <n> <excused> <rowsSeen>`
 * when stopped.
 *
 * Usage: node reader.js <storeUrl> <name> <mode>
 */
import { Checkpoint, type CheckpointMode, CkptError } from "@ckpt/core";
import "@ckpt/store-fs";
import { fieldProblem, initialSmallField, SmallField } from "../support/workload.js";

const [storeUrl, name, mode] = process.argv.slice(2);
if (mode === undefined) throw new Error("usage: reader <storeUrl> <name> <mode>");
if (storeUrl!.startsWith("s3:")) await import("@ckpt/store-s3");
if (storeUrl!.startsWith("gs:")) await import("@ckpt/store-gcs");

const out = (line: string) => process.stdout.write(`${line}\n`);
let stopping = false;
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  if (chunk.includes("stop")) stopping = true;
});
const checkpoint = new Checkpoint(name!, {
  store: storeUrl!,
  mode: mode as CheckpointMode,
  historySize: null,
  warn: (message) => out(`warn ${message.replaceAll("\n", " ")}`),
});
let restored = 0;
let excused = 0;
let maxRows = 0;
out("ready");
while (!stopping) {
  const rows = await checkpoint.catalog();
  maxRows = Math.max(maxRows, rows.length);
  if (rows.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    continue;
  }
  const index = restored % 2 === 0 ? rows.length - 1 : Math.floor(Math.random() * rows.length);
  const row = rows[index]!;
  try {
    const session = await checkpoint.select(index);
    if (session.commitId !== row.commitId) {
      // The catalog changed between the two reads (select reads it again): try again.
      continue;
    }
    const value = session.bind(SmallField, initialSmallField()).value;
    const problem =
      fieldProblem(value, row.writeCount, true) ??
      (value.writer === row.row.metadata.writer
        ? undefined
        : `writer ${value.writer}, row says ${String(row.row.metadata.writer)}`);
    if (problem !== undefined) {
      out(`bad ${row.commitId}: ${problem}`);
      process.exit(3);
    }
    restored++;
  } catch (error) {
    const still = (await checkpoint.catalog()).some((fresh) => fresh.commitId === row.commitId);
    if (still || !(error instanceof CkptError)) {
      out(`bad ${row.commitId} (still in the catalog: ${still}): ${String(error)}`);
      process.exit(3);
    }
    excused++;
  }
}
out(`restored ${restored} ${excused} ${maxRows}`);
process.exit(0);
