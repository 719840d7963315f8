import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../src/duration.js";
import { ExitCode, exitCodeFor, UsageError } from "../src/exit-codes.js";

describe("durations", () => {
  it("parses units and compound durations", () => {
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
  });

  it("refuses what is not a duration, naming the option", () => {
    for (const text of ["", "1", "h", "1x", "1h junk", "-1h"])
      expect(() => parseDuration(text, "--older-than")).toThrow(/--older-than .* is not a duration/);
    expect(() => parseDuration("soon")).toThrow(UsageError);
  });

  it("formats in whole units", () => {
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(45_000)).toBe("45s");
    expect(formatDuration(3_600_000)).toBe("1h");
    expect(formatDuration(5_400_000)).toBe("1h 30m");
    expect(formatDuration(3 * 86_400_000)).toBe("3d");
  });

  it("maps usage errors to exit code 2 and unknown errors to 1", () => {
    expect(exitCodeFor(new UsageError("bad"))).toBe(ExitCode.usage);
    expect(exitCodeFor(new Error("boom"))).toBe(ExitCode.failure);
  });
});
