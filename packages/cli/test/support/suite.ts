import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/exit-codes.js";
import { writeRows } from "./fixtures.js";
import { runCli, startHeldCli } from "./run-cli.js";
import {
  commitIds,
  copyCommit,
  corrupt,
  disagreeingHeader,
  keysUnder,
  readKey,
  snapshot,
  writeKey,
} from "./store-helpers.js";

/** Where a suite runs: a fresh, empty store URL per call, and the environment `ckpt` needs for it. */
export interface SuiteTarget {
  readonly name: string;
  fresh(label: string): Promise<string>;
  readonly env?: () => NodeJS.ProcessEnv;
  /** Skip the whole suite (visibly), e.g. while the store's package is missing. */
  readonly skip?: boolean;
}

function held(url: string, after: number): string {
  return `hold:?after=${after}&inner=${encodeURIComponent(url)}`;
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;
}

/**
 * Every `ckpt` command against one kind of store, through the real bin in child processes. The
 * same suite runs on a folder and on the S3 test server.
 */
export function describeCliCommands(target: SuiteTarget): void {
  const cli = (args: readonly string[]) => runCli(args, target.env?.());

  describe.skipIf(target.skip === true)(`ckpt on ${target.name}`, () => {
    it("ls lists checkpoints (table and JSON) and a checkpoint's catalog table", async () => {
      const url = await target.fresh("ls");
      await writeRows(url, "alpha", 3);
      await writeRows(url, "beta", 1);
      const run = await cli(["ls", url]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^name\s+ranks\s+rows/m);
      expect(run.stdout).toMatch(/^alpha\s+-\s+3\s+3\s/m);
      expect(run.stdout).toMatch(/^beta\s+-\s+1\s+1\s/m);
      const json = JSON.parse((await cli(["ls", url, "--json"])).stdout) as {
        checkpoints: { name: string; rows: number; bytes: number }[];
      };
      expect(json.checkpoints.map((entry) => [entry.name, entry.rows])).toEqual([
        ["alpha", 3],
        ["beta", 1],
      ]);
      expect(json.checkpoints[0]!.bytes).toBeGreaterThan(0);

      const table = await cli(["ls", url, "alpha"]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toContain('Checkpoint("alpha")');
      expect(table.stdout).toMatch(/^id\s+leadTime\s+step\s+writeCount\s+savedAt/m);
      expect(table.stdout).toContain("18 hours");
      const rows = JSON.parse((await cli(["ls", url, "alpha", "--json"])).stdout) as {
        catalogs: { rows: { writeCount: number }[] }[];
      };
      expect(rows.catalogs[0]!.rows.map((row) => row.writeCount)).toEqual([1, 2, 3]);

      const missing = await cli(["ls", url, "gamma"]);
      expect(missing.code).toBe(ExitCode.notFound);
      expect(missing.stderr).toContain('"gamma"');
    });

    it("show prints a row's metadata, states with dtypes and shapes, and objects", async () => {
      const url = await target.fresh("show");
      await writeRows(url, "alpha", 3);
      const run = await cli(["show", url, "alpha"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("row 2 of 3 (latest)");
      expect(run.stdout).toContain("write_count: 3");
      expect(run.stdout).toContain("leadTime: 18 hours");
      expect(run.stdout).toContain("cli-test.State");
      expect(run.stdout).toMatch(/^\s+s\s+uint32 \[4\]/m);
      expect(run.stdout).toMatch(/^\s+field\s+float64 \[1024\]/m);
      expect(run.stdout).toMatch(/state\.json\s+\d+\s+crc32:[0-9a-f]{8}/);

      const first = JSON.parse((await cli(["show", url, "alpha", "0", "--json"])).stdout) as {
        row: { commitId: string; writeCount: number };
      };
      expect(first.row.writeCount).toBe(1);
      const byId = JSON.parse((await cli(["show", url, "alpha", first.row.commitId, "--json"])).stdout) as {
        position: number;
      };
      expect(byId.position).toBe(0);
      const outOfRange = await cli(["show", url, "alpha", "7"]);
      expect(outOfRange.code).toBe(ExitCode.notFound);
      expect(outOfRange.stderr).toContain("out of range");
    });

    it("show reports the objects and bytes a row shares with earlier rows (incremental commits)", async () => {
      const url = await target.fresh("shared");
      await writeRows(url, "alpha", 2, { unchangedField: true });
      const first = JSON.parse((await cli(["show", url, "alpha", "0", "--json"])).stdout) as {
        shared: { objects: number; bytes: number };
        row: { commitId: string };
      };
      expect(first.shared).toEqual({ objects: 0, bytes: 0 });
      const second = JSON.parse((await cli(["show", url, "alpha", "1", "--json"])).stdout) as {
        shared: { objects: number; bytes: number };
        manifest: { objects: { key: string; size: number }[] };
      };
      const field = second.manifest.objects.find((object) => object.key.endsWith("field.npy"))!;
      expect(second.shared).toEqual({ objects: 1, bytes: field.size });
      const run = await cli(["show", url, "alpha", "1"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`shared with earlier rows: 1 object(s)`);
      expect(run.stdout).toContain(`(${field.size} bytes)`);
      expect(run.stdout).toMatch(
        new RegExp(`field\\.npy\\s+${field.size}\\s+crc32:[0-9a-f]{8}\\s+${first.row.commitId}`),
      );
    });

    it("verify passes intact rows and exits 3 naming a damaged object's key", async () => {
      const url = await target.fresh("verify");
      await writeRows(url, "alpha", 2);
      const ok = await cli(["verify", url, "alpha", "--all"]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain("verified 2 row(s)");

      const latest = (await commitIds(url, "alpha")).at(-1)!;
      const npy = (await keysUnder(url, `alpha/commits/${latest}/`)).find((key) =>
        key.endsWith("field.npy"),
      )!;
      await corrupt(url, npy);
      const latestOnly = await cli(["verify", url, "alpha"]);
      expect(latestOnly.code).toBe(ExitCode.integrity);
      expect(latestOnly.stdout).toContain(`FAIL  alpha  ${latest}`);
      expect(latestOnly.stdout).toContain(npy);
      const all = await cli(["verify", url, "alpha", "--all", "--json"]);
      expect(all.code).toBe(ExitCode.integrity);
      const parsed = JSON.parse(all.stdout) as { ok: boolean; rows: { ok: boolean; key?: string }[] };
      expect(parsed.ok).toBe(false);
      expect(parsed.rows.map((row) => row.ok)).toEqual([true, false]);
      expect(parsed.rows[1]!.key).toBe(npy);
    });

    it("gc keeps unreferenced commits within the grace period and removes them after it", async () => {
      const url = await target.fresh("gc");
      await writeRows(url, "alpha", 2);
      const [first] = await commitIds(url, "alpha");
      const orphan = "commit_00000009_aaaaaaaaaaaa";
      await copyCommit(url, "alpha", first!, orphan);

      const young = await cli(["gc", url, "alpha", "--older-than", "1h"]);
      expect(young.code, young.stderr).toBe(0);
      expect(young.stdout).toContain("removed 0 unreferenced");
      expect(await commitIds(url, "alpha")).toContain(orphan);

      const dry = await cli(["gc", url, "alpha", "--older-than", "0", "--dry-run"]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`would remove alpha/commits/${orphan}`);
      expect(await commitIds(url, "alpha")).toContain(orphan);

      const run = await cli(["gc", url, "alpha", "--older-than", "0", "--json"]);
      expect(run.code, run.stderr).toBe(0);
      const parsed = JSON.parse(run.stdout) as { removed: number; bytes: number };
      expect(parsed).toMatchObject({ removed: 1 });
      expect(parsed.bytes).toBeGreaterThan(0);
      expect(await commitIds(url, "alpha")).not.toContain(orphan);
      expect((await cli(["verify", url, "alpha", "--all"])).code).toBe(0);
    });

    it("cp copies every checkpoint, verifies, and skips commits already complete", async () => {
      const source = await target.fresh("cp-src");
      const destination = await target.fresh("cp-dst");
      await writeRows(source, "alpha", 3);
      await writeRows(source, "beta", 1);
      const run = await cli(["cp", source, destination, "alpha"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("copied alpha: 3 row(s), 3 commit(s) copied");
      expect(run.stderr).toMatch(/cp alpha (\d+)\/\1 objects, .* [\d.]+ (B|KiB|MiB)\/s/);
      expect(
        bytesEqual(
          await readKey(destination, "alpha/catalog.json"),
          await readKey(source, "alpha/catalog.json"),
        ),
      ).toBe(true);
      expect((await cli(["verify", destination, "alpha", "--all"])).code).toBe(0);

      const again = await cli(["cp", source, destination, "--json"]);
      expect(again.code, again.stderr).toBe(0);
      const parsed = JSON.parse(again.stdout) as {
        checkpoints: { name: string; roots: { copied: number; skipped: number }[] }[];
      };
      expect(parsed.checkpoints.map((entry) => entry.name)).toEqual(["alpha", "beta"]);
      expect(parsed.checkpoints[0]!.roots[0]).toMatchObject({ copied: 0, skipped: 3 });
      expect(parsed.checkpoints[1]!.roots[0]).toMatchObject({ copied: 1, skipped: 0 });

      const missing = await cli(["cp", source, destination, "nope"]);
      expect(missing.code).toBe(ExitCode.notFound);
    });

    it("cp killed with SIGKILL leaves no destination catalog, and a re-run completes", async () => {
      const source = await target.fresh("kill-src");
      const destination = await target.fresh("kill-dst");
      await writeRows(source, "run", 3);
      const copy = await startHeldCli(["cp", source, held(destination, 4), "run"], target.env?.());
      const killed = await copy.kill();
      expect(killed.signal).toBe("SIGKILL");
      expect((await keysUnder(destination, "run/commits/")).length).toBeGreaterThan(0);
      expect(await readKey(destination, "run/catalog.json")).toBeUndefined();

      const rerun = await cli(["cp", source, destination, "run"]);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(
        bytesEqual(await readKey(destination, "run/catalog.json"), await readKey(source, "run/catalog.json")),
      ).toBe(true);
      expect((await cli(["verify", destination, "run", "--all"])).code).toBe(0);
    });

    it("cp killed with SIGKILL leaves an existing destination catalog byte for byte, and a re-run completes", async () => {
      const source = await target.fresh("kill2-src");
      const destination = await target.fresh("kill2-dst");
      await writeRows(source, "run", 2);
      expect((await cli(["cp", source, destination, "run"])).code).toBe(0);
      const before = await readKey(destination, "run/catalog.json");
      expect(before).toBeDefined();

      await writeRows(source, "run", 4);
      const copy = await startHeldCli(["cp", source, held(destination, 3), "run"], target.env?.());
      const killed = await copy.kill();
      expect(killed.signal).toBe("SIGKILL");
      expect(killed.stderr).toContain("already complete at the destination");
      expect(bytesEqual(await readKey(destination, "run/catalog.json"), before)).toBe(true);
      const listed = JSON.parse((await cli(["ls", destination, "run", "--json"])).stdout) as {
        catalogs: { rows: unknown[] }[];
      };
      expect(listed.catalogs[0]!.rows).toHaveLength(2);

      const rerun = await cli(["cp", source, destination, "run"]);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(
        bytesEqual(await readKey(destination, "run/catalog.json"), await readKey(source, "run/catalog.json")),
      ).toBe(true);
      const verify = await cli(["verify", destination, "run", "--all", "--json"]);
      expect(verify.code, verify.stderr).toBe(0);
      expect((JSON.parse(verify.stdout) as { rows: unknown[] }).rows).toHaveLength(6);
    });
    it("ls, show and verify on a damaged catalog write nothing and print the recorded mode; repair writes it", async () => {
      const url = await target.fresh("readonly");
      await writeRows(url, "alpha", 3);
      await writeKey(url, "alpha/catalog.json", new TextEncoder().encode("{ damaged"));
      const before = await snapshot(url);
      const listed = await cli(["ls", url, "alpha"]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain("mode: append");
      expect(listed.stdout).toMatch(/^2\s+18 hours/m);
      expect(listed.stderr).toMatch(/damaged.*rebuilt/);
      const shown = await cli(["show", url, "alpha"]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain("mode: append");
      expect((await cli(["verify", url, "alpha", "--all"])).code).toBe(0);
      expect((await cli(["ls", url])).code).toBe(0);
      expect(await snapshot(url)).toEqual(before);

      const repaired = await cli(["repair", url, "alpha"]);
      expect(repaired.code, repaired.stderr).toBe(0);
      expect(repaired.stdout).toContain("repaired alpha");
      const again = await cli(["repair", url, "alpha", "--json"]);
      expect(JSON.parse(again.stdout)).toMatchObject({
        roots: [{ root: "alpha", repaired: false, rows: 3 }],
      });
      const json = JSON.parse((await cli(["ls", url, "alpha", "--json"])).stdout) as {
        catalogs: { mode: string; source: string; rows: unknown[] }[];
      };
      expect(json.catalogs[0]).toMatchObject({ mode: "append", source: "catalog" });
      expect(json.catalogs[0]!.rows).toHaveLength(3);
    });

    it("verify exits 3 on a row that does not decode; rm drops it and gc removes its objects", async () => {
      const url = await target.fresh("decode");
      await writeRows(url, "alpha", 2);
      const [first, latest] = await commitIds(url, "alpha");
      const ids = JSON.parse((await cli(["ls", url, "alpha", "--json"])).stdout).catalogs[0].rows.map(
        (row: { commitId: string }) => row.commitId,
      ) as string[];
      expect(new Set(ids)).toEqual(new Set([first, latest]));
      const damagedId = ids.at(-1)!;
      await disagreeingHeader(url, `alpha/commits/${damagedId}`);
      const verify = await cli(["verify", url, "alpha"]);
      expect(verify.code).toBe(ExitCode.integrity);
      expect(verify.stdout).toContain(`FAIL  alpha  ${damagedId}`);

      const missing = await cli(["rm", url, "alpha", "commit_00000009_aaaaaaaaaaaa"]);
      expect(missing.code).toBe(ExitCode.notFound);
      const removed = await cli(["rm", url, "alpha", damagedId]);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain(`removed row ${damagedId}`);
      expect((await cli(["verify", url, "alpha", "--all"])).code).toBe(0);
      expect(await commitIds(url, "alpha")).toContain(damagedId);

      const shown = await cli(["show", url, "alpha", "--json"]);
      expect((JSON.parse(shown.stdout) as { unreferencedBytes: number }).unreferencedBytes).toBeGreaterThan(
        0,
      );
      const dry = await cli(["gc", url, "alpha", "--older-than", "0", "--dry-run", "--json"]);
      const plan = JSON.parse(dry.stdout) as { removed: number; bytes: number; totalBytes: number };
      expect(plan.removed).toBe(1);
      expect(plan.bytes).toBeGreaterThan(0);
      const text = await cli(["gc", url, "alpha", "--older-than", "0", "--dry-run"]);
      expect(text.stdout).toContain(`would remove 1 unreferenced commit folder(s)`);
      expect(text.stdout).toContain(`(${plan.bytes} bytes)`);
      const listed = await cli(["ls", url, "alpha"]);
      expect(listed.stdout).toContain(`unreferenced: `);
      expect(listed.stdout).toContain(`(${plan.totalBytes} bytes;`);
      expect((await cli(["gc", url, "alpha", "--older-than", "0"])).code).toBe(0);
      expect(await commitIds(url, "alpha")).not.toContain(damagedId);
    });
  });
}
