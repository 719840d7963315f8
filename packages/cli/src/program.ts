import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { copyCommand } from "./commands/cp.js";
import { gcCommand } from "./commands/gc.js";
import { lsCommand } from "./commands/ls.js";
import { repairCommand } from "./commands/repair.js";
import { rmCommand } from "./commands/rm.js";
import { showCommand } from "./commands/show.js";
import { verifyCommand } from "./commands/verify.js";
import { parseDuration } from "./duration.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { type CliIo, processIo, writeJson } from "./io.js";

/** The version of @ckpt/cli, from its package.json (one folder above both src/ and dist/). */
export function cliVersion(): string {
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

const exitCodesHelp = `
Exit codes:
  0    success
  1    any other failure
  2    usage: unknown command or option, bad argument
  3    integrity: an object's size or checksum does not match its manifest
  4    not found: no such checkpoint, row or commit
  5    store: the store URL cannot be used, or the store failed
  6    catalog: a catalog that cannot be read or updated
  130  interrupted

Store URLs: file:///abs/path (or a plain path), memory://name, s3://bucket/prefix?region=…&endpoint=…,
gs://bucket/prefix?apiEndpoint=…. Every command names its store: nothing is assumed.`;

function rankOption(): Option {
  return new Option("--rank <n>", "only this rank of a ranked checkpoint").argParser(parseRank);
}

function parseRank(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError("must be a whole number ≥ 0");
  return value;
}

function parseOlderThan(text: string): number {
  try {
    return parseDuration(text, "--older-than");
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * The `ckpt` program, writing to `io`. A command that finishes with a non-zero status without
 * throwing (verify's mismatches) sets `result.exitCode`.
 */
export function createProgram(
  io: CliIo = processIo,
  result: { exitCode: number } = { exitCode: 0 },
): Command {
  const program = new Command("ckpt")
    .description("Inspect, verify, clean and copy ckpt checkpoints in any store.")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .version(cliVersion(), "-V, --version", "print the version of ckpt")
    .showHelpAfterError("(add --help for usage and examples)")
    .exitOverride()
    .addHelpText("after", exitCodesHelp);

  program
    .command("ls")
    .summary("list checkpoints, or one checkpoint's catalog")
    .description(
      "Without a name: the checkpoints under the store URL (name, ranks, rows, latest write count, size). With a name: its catalog table, one per rank.",
    )
    .argument("<url>", "store URL or folder")
    .argument("[name]", "checkpoint name")
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nExamples:\n  $ ckpt ls ~/.cache/ckpt/checkpoints\n  $ ckpt ls s3://bucket/runs lorenz96 --json",
    )
    .action(async (url: string, name: string | undefined, options: { json?: boolean }) => {
      await lsCommand(io, url, name, { json: options.json === true });
    });

  program
    .command("show")
    .summary("show a row's manifest: metadata, states, fields, objects")
    .description(
      "The manifest of one catalog row: metadata, every state with its fields (dtype and shape of arrays), and every object with its size and checksum. [row] is a position in the catalog (0 first, -1 latest, the default) or a commit id.",
    )
    .argument("<url>", "store URL or folder")
    .argument("<name>", "checkpoint name")
    .argument("[row]", "row position (negative counts from the end) or commit id", "-1")
    .addOption(rankOption())
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nExamples:\n  $ ckpt show ./checkpoints lorenz96\n  $ ckpt show s3://bucket/runs lorenz96 0 --json",
    )
    .action(async (url: string, name: string, row: string, options: { rank?: number; json?: boolean }) => {
      await showCommand(io, url, name, row, { json: options.json === true, rank: options.rank });
    });

  program
    .command("verify")
    .summary("read every object of the latest (or every) row and check sizes and checksums")
    .description(
      "Reads the manifest and every object of the latest row (every row with --all) and checks each size and checksum. Exits 3 on the first mismatch, naming the key.",
    )
    .argument("<url>", "store URL or folder")
    .argument("<name>", "checkpoint name")
    .option("--all", "verify every row, not only the latest")
    .addOption(rankOption())
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nExamples:\n  $ ckpt verify ./checkpoints lorenz96\n  $ ckpt verify s3://bucket/runs lorenz96 --all",
    )
    .action(async (url: string, name: string, options: { all?: boolean; rank?: number; json?: boolean }) => {
      result.exitCode = await verifyCommand(io, url, name, {
        all: options.all === true,
        json: options.json === true,
        rank: options.rank,
      });
    });

  program
    .command("gc")
    .summary("remove commit folders that no catalog row references")
    .description(
      "Removes the commit folders no catalog row references and that are older than the grace period, so a commit another writer has in flight survives. Says what it removed and how many bytes.",
    )
    .argument("<url>", "store URL or folder")
    .argument("<name>", "checkpoint name")
    .addOption(
      new Option("--older-than <duration>", "grace period: 30m, 1h, 2d, 0 for none")
        .default(3_600_000, "1h")
        .argParser(parseOlderThan),
    )
    .option("--dry-run", "say what would be removed, remove nothing")
    .addOption(rankOption())
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nExamples:\n  $ ckpt gc ./checkpoints lorenz96 --dry-run\n  $ ckpt gc s3://bucket/runs lorenz96 --older-than 2d",
    )
    .action(
      async (
        url: string,
        name: string,
        options: { olderThan: number; dryRun?: boolean; rank?: number; json?: boolean },
      ) => {
        await gcCommand(io, url, name, {
          olderThan: options.olderThan,
          dryRun: options.dryRun === true,
          json: options.json === true,
          rank: options.rank,
        });
      },
    );

  program
    .command("cp")
    .summary("copy checkpoints between stores, verifying every object")
    .description(
      "Copies one checkpoint (or every checkpoint under <src-url>) to <dst-url>: for every catalog row, its objects (each checked against the source manifest and read back from the destination), then its manifest, and the destination catalog last, by compare-and-swap. An interrupted copy leaves the destination catalog as it was; run the same command again to finish. Commits already complete at the destination are verified, not copied again. Progress (objects, bytes, rate) goes to stderr.",
    )
    .argument("<src-url>", "source store URL or folder")
    .argument("<dst-url>", "destination store URL or folder")
    .argument("[name]", "checkpoint name (default: every checkpoint under <src-url>)")
    .option("--json", "print a JSON summary for scripts")
    .addHelpText(
      "after",
      "\nExamples:\n  $ ckpt cp ~/.cache/ckpt/checkpoints s3://bucket/runs lorenz96\n  $ ckpt cp s3://bucket/runs ./backup",
    )
    .action(async (src: string, dst: string, name: string | undefined, options: { json?: boolean }) => {
      await copyCommand(io, src, dst, name, { json: options.json === true });
    });

  program
    .command("rm")
    .summary("drop one row from a catalog (its objects are left for gc)")
    .description(
      "Drops the row of <commitId> from the checkpoint's catalog by compare-and-swap, e.g. a row that fails verification, so that `verify --all` passes again. Its objects stay until `ckpt gc` removes them.",
    )
    .argument("<url>", "store URL or folder")
    .argument("<name>", "checkpoint name")
    .argument("<commitId>", "the row's commit id (see `ckpt ls <url> <name> --json` or `ckpt verify`)")
    .addOption(rankOption())
    .option("--json", "print JSON for scripts")
    .addHelpText("after", "\nExamples:\n  $ ckpt rm ./checkpoints lorenz96 commit_00000012_0a1b2c3d4e5f")
    .action(
      async (url: string, name: string, commitId: string, options: { rank?: number; json?: boolean }) => {
        await rmCommand(io, url, name, commitId, { json: options.json === true, rank: options.rank });
      },
    );

  program
    .command("repair")
    .summary("write back a missing or damaged catalog, rebuilt from the manifests")
    .description(
      "Reading commands never write: they rebuild a missing or damaged catalog in memory and warn. This command writes the rebuilt catalog (every row the writers kept), by compare-and-swap; an intact catalog is left as it is.",
    )
    .argument("<url>", "store URL or folder")
    .argument("<name>", "checkpoint name")
    .addOption(rankOption())
    .option("--json", "print JSON for scripts")
    .addHelpText("after", "\nExamples:\n  $ ckpt repair ./checkpoints lorenz96")
    .action(async (url: string, name: string, options: { rank?: number; json?: boolean }) => {
      await repairCommand(io, url, name, { json: options.json === true, rank: options.rank });
    });

  return program;
}

/** Whether the command line asks for JSON output (`--json` before any `--`). */
function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * Runs `ckpt` with `argv` (without the node and script paths) and resolves to the exit code.
 *
 * @example
 * process.exitCode = await main(["ls", "./checkpoints"]);
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const result = { exitCode: ExitCode.ok as number };
  const program = createProgram(io, result);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return result.exitCode;
  } catch (error) {
    const json = jsonRequested(argv);
    if (error instanceof CommanderError) {
      // Help and version are "errors" that exit 0; everything else commander raises is usage
      // (commander has already printed it on stderr).
      if (error.exitCode === 0) return ExitCode.ok;
      if (json)
        writeJson(io, {
          error: {
            code: "E_USAGE",
            message: error.message.replace(/^error: /, ""),
            exitCode: ExitCode.usage,
          },
        });
      return ExitCode.usage;
    }
    const code = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    const errorCode = error instanceof Error && "code" in error ? String(error.code) : undefined;
    const tag = errorCode === undefined ? "" : ` [${errorCode}]`;
    io.stderr.write(`ckpt: ${message}${tag}\n`);
    if (json) {
      const key =
        error instanceof Error && "key" in error && typeof error.key === "string" ? error.key : undefined;
      writeJson(io, {
        error: {
          code: errorCode ?? "E_UNEXPECTED",
          message,
          exitCode: code,
          ...(key === undefined ? {} : { key }),
        },
      });
    }
    if (code === ExitCode.failure && error instanceof Error && error.stack && process.env.CKPT_DEBUG)
      io.stderr.write(`${error.stack}\n`);
    return code;
  }
}
