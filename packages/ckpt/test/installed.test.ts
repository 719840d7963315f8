import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The packages as a user gets them from npm: every workspace package packed with `pnpm pack` (which
// builds it on prepack), the tarballs installed with npm into fresh projects outside the workspace.

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const packages = ["core", "store-fs", "store-s3", "store-gcs", "cli", "ckpt"] as const;
const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

let temp: string;
/** Tarball of each package folder. */
const tarballs = new Map<string, string>();
/** Packages whose dist/ this test built (removed again afterwards). */
const built: string[] = [];
/** A library user's project: `npm install ckpt zod`, nothing else (no @types/node). */
let app: string;
/** A user of the command: `npm install @ckpt/cli`. */
let tools: string;

async function sh(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd,
      env: { ...process.env, NODE_OPTIONS: "", FORCE_COLOR: "0" },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

async function mustRun(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await sh(command, args, cwd);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

async function newProject(name: string, install: readonly string[]): Promise<string> {
  const dir = join(temp, name);
  await mkdir(dir);
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name, private: true, type: "module" })}\n`);
  await mustRun("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...install], dir);
  return dir;
}

async function versionOf(path: string): Promise<string> {
  return (JSON.parse(await readFile(join(repoRoot, path), "utf8")) as { version: string }).version;
}

/** The first ```ts block of the root README: the example a user copies first. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(repoRoot, "README.md"), "utf8");
  const match = /```ts\n([\s\S]*?)```/.exec(readme);
  if (match === null) throw new Error("README.md has no ```ts block");
  return match[1]!;
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "ckpt-installed-"));
  const pnpm = `pnpm@${(JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { packageManager: string }).packageManager.split("@")[1]}`;
  const pack = async (name: string) => {
    const dir = join(repoRoot, "packages", name);
    if (!existsSync(join(dir, "dist"))) built.push(dir);
    const out = join(temp, "tarballs", name);
    await mustRun("npx", ["-y", pnpm, "pack", "--pack-destination", out], dir);
    tarballs.set(name, join(out, (await readdir(out))[0]!));
  };
  // prepack builds a package and the packages it references (tsc -b): core first, then the packages
  // that only reference core side by side, then the two that reference those.
  await pack("core");
  await Promise.all(["store-fs", "store-s3", "store-gcs"].map(pack));
  await Promise.all(["cli", "ckpt"].map(pack));
  const tarball = (name: (typeof packages)[number]) => tarballs.get(name)!;
  const zod = `zod@${await versionOf("packages/ckpt/node_modules/zod/package.json")}`;
  [app, tools] = await Promise.all([
    newProject("app", [tarball("ckpt"), tarball("core"), tarball("store-fs"), zod]),
    newProject("tools", packages.filter((name) => name !== "ckpt").map(tarball)),
  ]);
});

afterAll(async () => {
  for (const dir of built) await rm(join(dir, "dist"), { recursive: true, force: true });
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe("the packages installed from their tarballs with npm", () => {
  it("every tarball holds its LICENSE, README, built JavaScript, .d.ts and declaration maps", async () => {
    for (const [name, tarball] of tarballs) {
      const files = (await mustRun("tar", ["tzf", tarball], temp)).split("\n");
      expect(files, name).toContain("package/LICENSE");
      expect(files, name).toContain("package/README.md");
      expect(files, name).toContain("package/dist/index.js");
      expect(files, name).toContain("package/dist/index.d.ts");
      expect(files, name).toContain("package/dist/index.d.ts.map");
    }
  });

  it("the README's first example runs as an ES module, and a second process resumes where it stopped", async () => {
    expect(existsSync(join(app, "node_modules", "@types", "node"))).toBe(false);
    await writeFile(join(app, "example.mjs"), await readmeExample());
    const first = await mustRun("node", ["example.mjs"], app);
    expect(first.split("\n")[0]).toBe("4 138");
    expect(first).toContain('Checkpoint("my-forecast")');
    // A new process finds the folder's rows and has nothing left to do: no rows are added.
    const second = await mustRun("node", ["example.mjs"], app);
    expect(second.split("\n")[0]).toBe("4 138");
  });

  it("the native CRC-32 and content-digest modules load from the npm install", async () => {
    // Both ship prebuilt binaries inside their npm packages; a fallback here would mean the
    // published dependencies lost them.
    await writeFile(
      join(app, "natives.mjs"),
      'import { CHECKSUM_IMPLEMENTATION, DIGEST_IMPLEMENTATION } from "ckpt";\nconsole.log(CHECKSUM_IMPLEMENTATION, DIGEST_IMPLEMENTATION);\n',
    );
    expect((await mustRun("node", ["natives.mjs"], app)).trim()).toBe("@node-rs/crc32 xxhash-addon");
  });

  it("CommonJS can require() the package (Node ≥ 20.19 loads ES modules from require)", async () => {
    await writeFile(
      join(app, "require.cjs"),
      [
        'const { Checkpoint, FsStore, openStore } = require("ckpt");',
        "(async () => {",
        '  const store = await openStore("./checkpoints");',
        '  const rows = await new Checkpoint("my-forecast", { store }).catalog();',
        "  console.log(typeof FsStore, rows.length);",
        "})();",
      ].join("\n"),
    );
    expect((await mustRun("node", ["require.cjs"], app)).trim()).toBe("function 4");
  });

  it("a consumer type-checks under NodeNext and Bundler with skipLibCheck false and no @types/node", async () => {
    await writeFile(
      join(app, "consumer.ts"),
      [
        'import { Checkpoint, type CheckpointEntry, checkpointState, FsStore, openStore, typedArray } from "ckpt";',
        'import { z } from "zod";',
        'const State = checkpointState("consumer.State", z.object({ n: z.number(), a: typedArray("float32") }));',
        'const checkpoint = new Checkpoint("typed", { store: "./checkpoints", env: { CKPT_STORE: undefined } });',
        "const rows: readonly CheckpointEntry[] = await checkpoint.catalog();",
        'const store: FsStore | Awaited<ReturnType<typeof openStore>> = await openStore("memory://x");',
        "export { rows, State, store };",
      ].join("\n"),
    );
    const check = async (label: string, options: { module: string; moduleResolution: string }) => {
      const config = {
        compilerOptions: {
          ...options,
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ["consumer.ts"],
      };
      await writeFile(join(app, `tsconfig.${label}.json`), JSON.stringify(config));
      return { label, ...(await sh("node", [tsc, "-p", `tsconfig.${label}.json`], app)) };
    };
    const results = await Promise.all([
      check("NodeNext", { module: "NodeNext", moduleResolution: "NodeNext" }),
      check("Bundler", { module: "ESNext", moduleResolution: "Bundler" }),
    ]);
    for (const result of results) {
      expect(result.stdout + result.stderr, result.label).toBe("");
      expect(result.code, result.label).toBe(0);
    }
  });

  it("npx ckpt works after npm install @ckpt/cli: --version, and ls of the example's folder", async () => {
    const version = await mustRun("npx", ["--no-install", "ckpt", "--version"], tools);
    expect(version.trim()).toBe(await versionOf("packages/cli/package.json"));
    const listing = await mustRun("npx", ["--no-install", "ckpt", "ls", join(app, "checkpoints")], tools);
    expect(listing).toMatch(/^my-forecast\s+-\s+4\s+24\s/m);
  });

  it("a store package whose own dependency is missing says what failed to load", async () => {
    await rm(join(tools, "node_modules", "@aws-sdk", "client-s3"), { recursive: true, force: true });
    const result = await sh(
      "npx",
      ["--no-install", "ckpt", "ls", "s3://bucket/runs?region=us-east-1&endpoint=http://127.0.0.1:9"],
      tools,
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(
      "needs the package @ckpt/store-s3, which is installed but failed to load",
    );
    expect(result.stderr).toContain("@aws-sdk/client-s3");
    expect(result.stderr).not.toContain("npm install @ckpt/store-s3");
  });
});
