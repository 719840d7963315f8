/**
 * The raw file write the disk experiments compare with (bench/write-size.ts,
 * write-size-over-time.ts, reused-files.ts): one body, written in calls of a given size, fsynced.
 */
import { open } from "node:fs/promises";

/**
 * Writes `body` to `path` in calls of `piece` bytes at their positions (0: one `writeFile`, Node's
 * own 512 KiB calls), then fsyncs it. `flags` as `open`'s: `"w"`/`"wx"` for a new file, `"r+"` to
 * write over an existing one (cut to the body's length).
 */
export async function writeInCalls(
  path: string,
  body: Uint8Array,
  piece: number,
  flags: string,
): Promise<void> {
  const handle = await open(path, flags);
  try {
    if (piece === 0) await handle.writeFile(body);
    else
      for (let offset = 0; offset < body.length; offset += piece)
        await handle.write(body, offset, Math.min(piece, body.length - offset), offset);
    if (flags === "r+") await handle.truncate(body.length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
