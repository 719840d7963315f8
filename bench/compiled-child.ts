/**
 * The memory cases' child script as plain JavaScript. A production job runs compiled JavaScript, so
 * the memory child must not pay for a TypeScript loader, whose own RSS would count in every figure
 * (BENCHMARKS.md, "How it measures"). Before the first
 * memory case, esbuild bundles bench/memory-child.ts with the workspace's TypeScript sources (read
 * through the `@ckpt/source` export condition, as the tests do) into an ESM file that `node` runs
 * with no loader. npm packages (the cloud SDKs, memfs, zod) stay outside the bundle and are loaded
 * from node_modules at run time, as a user's compiled program loads them.
 */
import { rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/** bench/: the bundles live under its node_modules (gitignored), so their npm imports resolve there. */
const benchRoot = fileURLToPath(new URL("./", import.meta.url));
const bundleDir = `${benchRoot}node_modules/.cache/ckpt-bench`;

/** Every bare import except the workspace's own packages and Node's built-ins stays an import. */
const npmPackagesExternal: Plugin = {
  name: "npm-packages-external",
  setup(build) {
    // esbuild filters are Go regular expressions (no lookahead): the workspace test is in the callback.
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@ckpt/") ? undefined : { path: args.path, external: true },
    );
  },
};

/** How the memory child runs, for the report (results of older runs lack it: they ran under tsx). */
export const MEMORY_CHILD_RUNTIME =
  "compiled JavaScript with no loader: `node --expose-gc` on an esbuild bundle of bench/memory-child.ts and the workspace sources, npm packages loaded from node_modules";

let compiled: Promise<string> | undefined;

/**
 * Bundles bench/memory-child.ts once per process and resolves to the script to run
 * with `node --expose-gc <script> <input JSON>`. The bundle is removed when this process exits.
 */
export function compiledMemoryChild(): Promise<string> {
  compiled ??= (async () => {
    await mkdir(bundleDir, { recursive: true });
    const outdir = `${bundleDir}/memory-child-${process.pid}`;
    process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));
    await build({
      entryPoints: [`${benchRoot}memory-child.ts`],
      outdir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      // Each store package (and the SDK it imports) goes into a chunk of its own, loaded only by the
      // child that opens that store, as a user's program would load only the store it uses.
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["@ckpt/source"],
      plugins: [npmPackagesExternal],
      logLevel: "error",
    });
    return `${outdir}/memory-child.mjs`;
  })();
  return compiled;
}
