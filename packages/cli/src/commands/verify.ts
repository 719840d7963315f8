import {
  type CatalogRow,
  CheckpointDecodeError,
  CheckpointIntegrityError,
  openStore,
  verifyRow,
} from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { readerFor, rootsOf } from "../checkpoints.js";
import { ExitCode } from "../exit-codes.js";
import { type CliIo, writeJson } from "../io.js";
import { observeStore } from "../observed-store.js";
import { ByteProgress } from "../progress.js";

/** One verified row. */
interface VerifyOutcome {
  readonly root: string;
  readonly commitId: string;
  readonly writeCount: number;
  readonly ok: boolean;
  readonly objects?: number;
  readonly bytes?: number;
  readonly key?: string;
  readonly error?: string;
}

/**
 * `ckpt verify <url> <name> [--all]`: reads every object of the latest (or every) row of every
 * rank, checks sizes and checksums and decodes every state. Resolves to the exit code: 3 when any
 * object mismatched or did not decode.
 */
export async function verifyCommand(
  io: CliIo,
  url: string,
  name: string,
  options: { all: boolean; json: boolean; rank: number | undefined },
): Promise<number> {
  const opened = await openStore(url);
  // The progress of the row being verified (stderr), fed by the bytes streamed through the checksum.
  let progress: ByteProgress | undefined;
  const store = observeStore(opened, { streamed: (bytes, done) => progress?.stream(bytes, done) });
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  try {
    const outcomes: VerifyOutcome[] = [];
    for (const root of await rootsOf(store, name, options.rank)) {
      const reader = readerFor(store, name, root, warn);
      const rows = await reader.rows();
      const chosen: readonly CatalogRow[] = options.all ? rows : rows.slice(-1);
      for (const row of chosen) {
        const base = { root: root.root, commitId: row.commitId, writeCount: row.writeCount };
        try {
          const manifest = await reader.manifest(row);
          const outcome = {
            ...base,
            ok: true,
            objects: manifest.objects.length,
            bytes: manifest.objects.reduce((sum, object) => sum + object.size, 0),
          };
          progress = new ByteProgress(io.stderr, `verify ${root.root} ${row.commitId}`, outcome);
          // Checksums, then every state decoded: a decode failure is a failed verification too.
          await verifyRow(reader, row);
          progress.done("verified");
          outcomes.push(outcome);
          if (!options.json)
            io.stdout.write(
              `ok    ${root.root}  ${row.commitId}  ${outcome.objects} objects, ${formatBytes(outcome.bytes)}\n`,
            );
        } catch (error) {
          progress?.clear();
          if (!(error instanceof CheckpointIntegrityError || error instanceof CheckpointDecodeError))
            throw error;
          const key = error instanceof CheckpointIntegrityError ? error.key : error.path;
          outcomes.push({ ...base, ok: false, key, error: error.message });
          if (!options.json) io.stdout.write(`FAIL  ${root.root}  ${row.commitId}  ${error.message}\n`);
        }
      }
    }
    const failed = outcomes.filter((outcome) => !outcome.ok).length;
    if (options.json) writeJson(io, { store: store.url, name, ok: failed === 0, rows: outcomes });
    else if (outcomes.length === 0) io.stdout.write(`checkpoint "${name}" has no rows to verify\n`);
    else
      io.stdout.write(
        failed === 0
          ? `verified ${outcomes.length} row(s): every object matches its manifest\n`
          : `${failed} of ${outcomes.length} row(s) FAILED verification\n`,
      );
    return failed === 0 ? ExitCode.ok : ExitCode.integrity;
  } finally {
    await store.close?.();
  }
}
