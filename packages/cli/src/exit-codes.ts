import { CkptError, StoreError } from "@ckpt/core";

/**
 * The `ckpt` exit codes. Stable: scripts may test for them.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | any other failure (a bug, an unexpected error) |
 * | 2 | usage: unknown command or option, bad argument |
 * | 3 | integrity: an object's size or checksum does not match its manifest (`verify`, `cp`) |
 * | 4 | not found: no such checkpoint, row or commit |
 * | 5 | store: the store URL cannot be used or the store failed (config, network, permissions) |
 * | 6 | catalog: a catalog that cannot be read or updated (newer format, too many conflicting writers, a destination changed during `cp`) |
 * | 130 | interrupted (SIGINT) |
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  integrity: 3,
  notFound: 4,
  store: 5,
  catalog: 6,
  interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage error found after parsing (a bad duration, a row that is not a number). */
export class UsageError extends CkptError {
  constructor(message: string) {
    super("E_USAGE", message);
  }
}

/** A store location that does not exist (a folder that is not there): exit 4. */
export class LocationNotFoundError extends CkptError {
  constructor(message: string) {
    super("E_NOT_FOUND", message);
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!(error instanceof CkptError)) return ExitCode.failure;
  switch (error.code) {
    case "E_USAGE":
    case "E_OPTION":
    case "E_INVALID_KEY":
      return ExitCode.usage;
    case "E_INTEGRITY":
      return ExitCode.integrity;
    case "E_NOT_FOUND":
    case "E_SELECTION":
      return ExitCode.notFound;
    case "E_CATALOG":
    case "E_PRECONDITION_FAILED":
      return ExitCode.catalog;
    case "E_ABORTED":
      return ExitCode.interrupted;
    default:
      return error instanceof StoreError ? ExitCode.store : ExitCode.failure;
  }
}
