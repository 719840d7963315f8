import { durationMs } from "@ckpt/core";
import { UsageError } from "./exit-codes.js";

/**
 * Parses a duration such as `1h`, `30m`, `90s`, `2d`, `1h30m` or `0` into milliseconds.
 *
 * @example
 * parseDuration("1h30m"); // 5_400_000
 */
export function parseDuration(text: string, option = "duration"): number {
  const total = durationMs(text);
  if (total === undefined)
    throw new UsageError(
      `${option} ${JSON.stringify(text)} is not a duration; use a number with a unit (ms, s, m, h, d, w), e.g. 1h or 30m`,
    );
  return total;
}

/** A duration in its largest whole unit pair, e.g. `1h 30m`, `45s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}
