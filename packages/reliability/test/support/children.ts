/**
 * Child processes of the reliability tests, started fast. Each child script is bundled once with
 * esbuild into one file (the workspace's TypeScript sources and the npm packages they use), so a
 * child starts as plain Node: no TypeScript loader, no resolution of hundreds of modules, which on
 * a busy 2-core machine cost seconds per child (BENCHMARKS.md, "What the test set-up rests on").
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** The package folder: bundles live under its node_modules so their npm imports resolve. */
const packageRoot = fileURLToPath(new URL("../../", import.meta.url));
const bundleDir = `${packageRoot}node_modules/.cache/ckpt-reliability`;

const bundles = new Map<string, Promise<string>>();
const made: string[] = [];
process.once("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * Bundles `test/children/<name>.ts` (once per process) and resolves to the bundle's path. The
 * workspace packages are read through their `@ckpt/source` export condition, like the tests.
 */
export function bundleChild(name: string): Promise<string> {
  let bundled = bundles.get(name);
  if (bundled === undefined) {
    bundled = (async () => {
      await mkdir(bundleDir, { recursive: true });
      const outdir = `${bundleDir}/${name}-${process.pid}`;
      made.push(outdir);
      await build({
        entryPoints: [`${packageRoot}test/children/${name}.ts`],
        outdir,
        outExtension: { ".js": ".mjs" },
        bundle: true,
        // The cloud SDKs go into chunks of their own, loaded only by a child that opens s3:// or gs://.
        splitting: true,
        platform: "node",
        format: "esm",
        target: "node20",
        conditions: ["@ckpt/source"],
        logLevel: "error",
        // CommonJS packages inside an ESM bundle call require() for Node's built-ins.
        banner: {
          js: 'import { createRequire as __ckptRequire } from "node:module"; const require = __ckptRequire(import.meta.url);',
        },
      });
      return `${outdir}/${name}.mjs`;
    })();
    bundles.set(name, bundled);
  }
  return bundled;
}

/** Starts a bundled child with piped stdin/stdout (stderr inherited, so a crash is visible). */
export async function startChild(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildProcess> {
  const script = await bundleChild(name);
  return spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"], env });
}

/** Calls `onLine` for every stdout line of the child. */
export function onLines(child: ChildProcess, onLine: (line: string) => void): void {
  let rest = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    rest += chunk;
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
}

/** Resolves once the process has exited and been reaped. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
