import { describe, expect, it } from "vitest";
import { ExitCode } from "../src/exit-codes.js";
import { runCli } from "./support/run-cli.js";

describe("ckpt --help and usage errors", () => {
  it("lists every command and the exit codes", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["ls", "show", "verify", "gc", "cp"])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(run.stdout).toContain("Exit codes:");
  });

  it("shows an example on every command's help", async () => {
    for (const command of ["ls", "show", "verify", "gc", "cp"]) {
      const run = await runCli([command, "--help"]);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(new RegExp(`Examples:\\n\\s+\\$ ckpt ${command} `));
    }
  });

  it("exits 2 on an unknown command, a missing argument or a bad option value", async () => {
    expect((await runCli(["frobnicate"])).code).toBe(ExitCode.usage);
    expect((await runCli(["show", "/tmp"])).code).toBe(ExitCode.usage);
    const bad = await runCli(["gc", "/tmp", "alpha", "--older-than", "soon"]);
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toContain("--older-than");
  });

  it("exits 5 on a store URL it cannot use", async () => {
    const run = await runCli(["ls", "ftp://example.com/x"]);
    expect(run.code).toBe(ExitCode.store);
    expect(run.stderr).toContain("E_STORE_CONFIG");
  });
});
