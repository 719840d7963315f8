/**
 * Profiles one commit and one restore of a state on one store with the V8 CPU profiler and prints
 * where the main thread spent its time (self time per function, top entries). Not part of
 * `pnpm bench`; run it when a target is missed:
 *
 *   npx tsx --conditions=@ckpt/source bench/profile.ts --store s3 --size 64MiB [--runs 3]
 *
 * Writes the raw profiles to bench/results/<store>-<size>-{commit,restore}.cpuprofile (open them in
 * Chrome DevTools or speedscope).
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { timeCommit } from "./commit-throughput.js";
import { rawRead, rawWrite } from "./raw-baselines.js";
import { timeRestore } from "./restore.js";
import { arrayBytes, makeState, stateChecksums } from "./state.js";
import { formatSize, parseSize } from "./stats.js";
import { emptyStore, openBenchStore, openRaw, type StoreKind, startStore, uniquePrefix } from "./stores.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function topSelfTime(profile: Profile, count: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = node.callFrame;
    const where =
      frame.url === ""
        ? ""
        : ` ${frame.url.replace(/^.*\/(node_modules|packages)\//, "$1/")}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    self.set(name, (self.get(name) ?? 0) + delta);
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([name, us]) =>
        `${(us / 1000).toFixed(1).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`,
    );
}

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "s3" },
    size: { type: "string", default: "64MiB" },
    runs: { type: "string", default: "1" },
  },
});
const kind = values.store as StoreKind;
const bytes = parseSize(values.size!);
const log = (line: string) => process.stderr.write(`${line}\n`);
const env = await startStore(kind, log);
const session = new Session();
session.connect();
await session.post("Profiler.enable");
try {
  const state = makeState(bytes);
  const expected = stateChecksums(state);
  for (let run = 0; run < Number(values.runs); run++) {
    const prefix = uniquePrefix("profile");
    const store = await openBenchStore(env.spec, prefix);
    const raw = await openRaw(env.spec, `${prefix}-raw`);
    const profiles: Record<string, Profile> = {};
    await session.post("Profiler.start");
    const commitMs = await timeCommit(store, "profile", state);
    profiles.commit = (await session.post("Profiler.stop")).profile as unknown as Profile;
    await session.post("Profiler.start");
    const { ms: restoreMs } = await timeRestore(store, "profile", expected);
    profiles.restore = (await session.post("Profiler.stop")).profile as unknown as Profile;
    const writeMs = await rawWrite(raw, arrayBytes(state));
    const readMs = await rawRead(raw, arrayBytes(state));
    console.log(
      `\n${kind} ${formatSize(bytes)} run ${run + 1}: commit ${commitMs.toFixed(0)} ms (raw write ${writeMs.toFixed(0)} ms), restore ${restoreMs.toFixed(0)} ms (raw read ${readMs.toFixed(0)} ms)`,
    );
    for (const [phase, profile] of Object.entries(profiles)) {
      const file = join(
        dirname(fileURLToPath(import.meta.url)),
        "results",
        `${kind}-${values.size}-${phase}.cpuprofile`,
      );
      await writeFile(file, JSON.stringify(profile));
      console.log(`${phase}: top self time on the main thread (${file})`);
      for (const line of topSelfTime(profile, 14)) console.log(line);
    }
    await emptyStore(store);
    await raw.clear();
    await store.close?.();
    await raw.close();
    await env.reclaim();
  }
} finally {
  session.disconnect();
  await env.stop();
}
