import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../src/exit-codes.js";
import type { CliIo } from "../src/io.js";
import { main } from "../src/program.js";
import { tempStore, writeRows } from "./support/fixtures.js";
import { binPath, repoRoot, runCli, storeFsPresent } from "./support/run-cli.js";

/** What a redrawn status line starts with on a terminal: back to column 0, erase the line. */
const eraseLine = "\r\x1b[2K";

let store: Awaited<ReturnType<typeof tempStore>>;

beforeAll(async () => {
  store = await tempStore("edges");
  await writeRows(store.url, "alpha", 3, { size: 4096 });
  await writeRows(store.url, "beta", 1);
});

afterAll(async () => {
  await store?.cleanup();
});

/** An in-process `ckpt` run whose stderr claims to be a terminal, to see what a user sees there. */
async function runOnTerminal(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: true },
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe.skipIf(!storeFsPresent)("ckpt at its edges (needs @ckpt/store-fs)", () => {
  it("--version prints the version of the package", async () => {
    const run = await runCli(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("ls of a folder that does not exist is not found (exit 4), not an empty store", async () => {
    const missing = join(store.dir, "no", "such", "dir");
    const run = await runCli(["ls", missing]);
    expect(run.code).toBe(ExitCode.notFound);
    expect(run.stderr).toContain(`no such folder: ${missing}`);
    expect(run.stdout).not.toContain("no checkpoints");
    // Reading never writes: the folder is still not there.
    await expect(readdir(missing)).rejects.toThrow(/ENOENT/);
  });

  it("errors under --json are a JSON object on stdout, with the code and the exit code", async () => {
    const missing = await runCli(["ls", join(store.dir, "absent"), "--json"]);
    expect(missing.code).toBe(ExitCode.notFound);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: "E_NOT_FOUND", message: expect.stringContaining("no such folder"), exitCode: 4 },
    });
    const row = await runCli(["show", store.url, "alpha", "99", "--json"]);
    expect(row.code).toBe(ExitCode.notFound);
    expect(JSON.parse(row.stdout).error).toMatchObject({ code: "E_SELECTION", exitCode: 4 });
    const usage = await runCli(["gc", store.url, "alpha", "--older-than", "soon", "--json"]);
    expect(usage.code).toBe(ExitCode.usage);
    expect(JSON.parse(usage.stdout).error).toMatchObject({ code: "E_USAGE", exitCode: 2 });
    expect(usage.stdout).not.toContain("Usage:");
  });

  it("cp refuses a memory:// destination, which would vanish when ckpt exits", async () => {
    const run = await runCli(["cp", store.url, "memory://x", "alpha"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain("memory://x is an in-memory volume that disappears when ckpt exits");
    expect(run.stderr).not.toMatch(/^cp /m);
  });

  it("verify prints sizes as cp does and reports each row's progress on stderr", async () => {
    const run = await runCli(["verify", store.url, "alpha", "--all"]);
    expect(run.code, run.stderr).toBe(0);
    const ok = run.stdout.split("\n").filter((line) => line.startsWith("ok "));
    expect(ok).toHaveLength(3);
    for (const line of ok) expect(line).toMatch(/ \d+ objects, \d+\.\d (KiB|MiB)$/);
    expect(run.stdout).not.toMatch(/\d bytes/);
    expect(run.stderr).toMatch(/^verify alpha commit_\S+ (\d+)\/\1 objects, .*\/s verified$/m);
  });

  it("verify draws a bar on a terminal and clears it", async () => {
    const run = await runOnTerminal(["verify", store.url, "alpha"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`${eraseLine}verify alpha commit_`);
    expect(run.stderr).toMatch(/verify alpha commit_\S+ \[#+-*\] \d+\/\d+ objects/);
    expect(run.stdout).toMatch(/^ok {4}alpha {2}commit_/m);
  });

  it("ls of a store shows listing progress on a terminal only, and clears it before the table", async () => {
    const terminal = await runOnTerminal(["ls", store.url]);
    expect(terminal.code, terminal.stderr).toBe(0);
    expect(terminal.stderr).toMatch(/listing file:\/\/\S+: \d+ objects/);
    expect(terminal.stderr.endsWith(eraseLine)).toBe(true);
    expect(terminal.stdout).toMatch(/^alpha\s+-\s+3\s+3\s/m);
    const piped = await runCli(["ls", store.url]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe("");
  });

  it("cp into a pipe whose reader went away finishes the copy and exits 0", async () => {
    const target = await tempStore("epipe");
    try {
      // Like `ckpt cp … | head -1`: the reader of stdout is gone before ckpt prints.
      const child = spawn(process.execPath, [binPath, "cp", store.url, target.url], {
        cwd: repoRoot,
        env: { ...process.env, FORCE_COLOR: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (text: string) => {
        stderr += text;
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, stderr).toBe(0);
      expect(stderr).not.toContain("EPIPE");
      const verify = await runCli(["verify", target.url, "alpha", "--all"]);
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).toContain("verified 3 row(s)");
      expect((await runCli(["verify", target.url, "beta"])).code).toBe(0);
    } finally {
      await target.cleanup();
    }
  });
});
