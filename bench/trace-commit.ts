/**
 * An experiment behind a finding of BENCHMARKS.md (not part of `pnpm bench`): one commit and one
 * restore of a state on the local disk, traced call by call. Each store call and each fs call of
 * the FsStore under it is printed with its start and end (ms since the step began), so one can
 * see what a commit waits for beyond the raw write of its arrays (folders made, fsyncs, the
 * manifest and the catalog). Runs `--runs` fresh checkpoints and traces the last.
 *
 *   npx tsx --conditions=@ckpt/source bench/trace-commit.ts --size 64MiB --runs 4
 */
import * as nodeFs from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Store } from "@ckpt/core";
import { type FsApi, type FsFileHandle, FsStore } from "@ckpt/store-fs";
import { timeCommit } from "./commit-throughput.js";
import { timeRestore } from "./restore.js";
import { makeState, stateChecksums } from "./state.js";
import { formatSize, parseSize } from "./stats.js";
import { settleDisk } from "./stores.js";

const { values } = parseArgs({
  options: { size: { type: "string", default: "64MiB" }, runs: { type: "string", default: "4" } },
});
const bytes = parseSize(values.size!);
const runs = Number(values.runs);
const root = await mkdtemp(join(tmpdir(), "ckpt-trace-"));
const lines: string[] = [];
let origin = 0;

/** Records `task`'s span as `<start>-<end> <what>`, relative to the step's origin. */
async function traced<T>(what: string, task: () => Promise<T>): Promise<T> {
  const start = performance.now() - origin;
  try {
    return await task();
  } finally {
    const end = performance.now() - origin;
    lines.push(`${start.toFixed(1).padStart(8)} -${end.toFixed(1).padStart(8)}  ${what}`);
  }
}

const short = (path: string) =>
  path
    .slice(root.length)
    .replace(/commits\/commit_[0-9a-f_]+/, "<commit>")
    .replace(/\.ckpt-(tmp|lock)-[0-9a-f]+/, ".ckpt-$1-…");

// Every method call of the fs API and of the handles it opens, traced.
function tracedHandle(handle: FsFileHandle, path: string): FsFileHandle {
  return new Proxy(handle, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        traced(`    ${String(property)} ${short(path)}`, () => value.apply(target, args));
    },
  });
}
const tracedFs = new Proxy(nodeFs as unknown as FsApi, {
  get(target, property) {
    const value = Reflect.get(target, property, target);
    if (typeof value !== "function") return value;
    return async (...args: unknown[]) => {
      const path = String(property === "symlink" ? args[1] : args[0]);
      const result = await traced(`    ${String(property)} ${short(path)}`, () => value.apply(target, args));
      return property === "open" ? tracedHandle(result as FsFileHandle, path) : result;
    };
  },
});

function tracedStore(inner: Store): Store {
  return {
    url: inner.url,
    put: (key, body, options) =>
      traced(`put ${short(`${root}/${key}`)}`, () => inner.put(key, body, options)),
    prepare:
      inner.prepare &&
      (async (key, body, options) => {
        const prepared = await traced(`prepare ${short(`${root}/${key}`)}`, () =>
          inner.prepare!(key, body, options),
        );
        return {
          publish: () => traced(`publish ${short(`${root}/${key}`)}`, () => prepared.publish()),
          discard: () => prepared.discard(),
        };
      }),
    get: (key, options) => traced(`get ${short(`${root}/${key}`)}`, () => inner.get(key, options)),
    getStream: (key, options) => inner.getStream(key, options),
    head: (key, options) => traced(`head ${key}`, () => inner.head(key, options)),
    list: (prefix, options) => traced(`list ${prefix}`, () => inner.list(prefix, options)),
    delete: (keys, options) => traced(`delete ${keys.length} keys`, () => inner.delete(keys, options)),
  };
}

const state = makeState(bytes);
const expected = stateChecksums(state);
try {
  for (let run = 0; run < runs; run++) {
    const store = tracedStore(new FsStore({ root: join(root, `run-${run}`), fs: tracedFs }));
    settleDisk();
    lines.length = 0;
    origin = performance.now();
    const commitMs = await timeCommit(store, "trace", state);
    const commitLines = [...lines];
    settleDisk();
    lines.length = 0;
    origin = performance.now();
    const restore = await timeRestore(store, "trace", expected);
    console.log(
      `${formatSize(bytes)} run ${run + 1}: commit ${commitMs.toFixed(1)} ms (flush), restore ${restore.ms.toFixed(1)} ms`,
    );
    if (run === runs - 1) {
      const sorted = (list: string[]) =>
        [...list].sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b));
      console.log(
        `\ncommit (run() from its start; the flush is the puts):\n${sorted(commitLines).join("\n")}`,
      );
      console.log(`\nrestore:\n${sorted(lines).join("\n")}`);
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
