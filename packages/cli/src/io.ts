/** Where a command writes: results to `stdout`, progress and messages to `stderr`. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

/** The process's own streams. */
export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** A stream whose reader may go away (`ckpt ls | head -1`). */
interface ClosableOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  on(event: "error", listener: (error: Error & { code?: string }) => void): unknown;
}

function pipeSafe(stream: ClosableOutput): CliIo["stdout"] {
  let closed = false;
  stream.on("error", (error) => {
    // The reader closed the pipe: stop printing, let the command finish its work and exit as it
    // would have. Any other write error is a real failure.
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    closed = true;
  });
  return {
    write: (text: string) => (closed ? false : stream.write(text)),
    get isTTY() {
      return stream.isTTY === true;
    },
  };
}

/**
 * The process's streams, made safe for a reader that closes the pipe early: once stdout (or
 * stderr) is gone, output to it stops and the command still finishes, so `ckpt cp … | head -1`
 * completes the copy and exits with the command's own code.
 */
export function pipeSafeIo(stdout: ClosableOutput, stderr: ClosableOutput): CliIo {
  return { stdout: pipeSafe(stdout), stderr: pipeSafe(stderr) };
}

/** Writes `value` as indented JSON plus a newline (bigints as strings, so nothing is lost). */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(
    `${JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item), 2)}\n`,
  );
}

/** Left-justified columns, two spaces apart (the same look as `Checkpoint.format()`). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
