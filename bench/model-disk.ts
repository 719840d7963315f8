/**
 * An experiment behind a finding of bench/findings.md (not part of `pnpm bench`): small commits on
 * a model disk, FsStore over memfs where every fsync takes `SYNC` ms and every other fs call `CALL`
 * ms (handles too). The time per commit then measures the depth of the commit's sequential path
 * (fsync rounds and fs calls one after another), which a loaded shared machine cannot show.
 *
 *   SYNC=10 CALL=1 DURABLE=true npx tsx --conditions=@ckpt/source bench/model-disk.ts
 */
import { bindCheckpointState, Checkpoint } from "@ckpt/core";
import { type FsApi, FsStore, memoryVolume } from "@ckpt/store-fs";
import { BenchState, changeEveryArray, makeState } from "./state.js";

const SYNC = Number(process.env.SYNC ?? 10);
const CALL = Number(process.env.CALL ?? 1);
const COMMITS = Number(process.env.COMMITS ?? 20);
const durable = process.env.DURABLE !== "false";
const counts = new Map<string, number>();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every method of `target` answers after its latency; opened handles are slowed too. */
function slowed<T extends object>(target: T): T {
  return new Proxy(target, {
    get(inner, property) {
      const value = Reflect.get(inner, property, inner);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const name = String(property);
        counts.set(name, (counts.get(name) ?? 0) + 1);
        const result = await value.apply(inner, args);
        await delay(name === "sync" ? SYNC : CALL);
        return name === "open" ? slowed(result as object) : result;
      };
    },
  });
}

const fs = slowed(memoryVolume(`model-disk-${process.pid}`) as object) as FsApi;
const store = new FsStore({ root: "/model", fs, url: "memory://model-disk", durable });
const checkpoint = new Checkpoint("model", {
  store,
  mode: "append",
  historySize: null,
  flushInterval: 1,
  warn: () => {},
});
const value = makeState(1024, 1);
await checkpoint.run(async (session) => {
  bindCheckpointState(BenchState, value);
  await session.write({ step: 0 });
  counts.clear();
  const start = performance.now();
  for (let step = 1; step <= COMMITS; step++) {
    changeEveryArray(value, step);
    await session.write({ step });
  }
  const ms = (performance.now() - start) / COMMITS;
  const calls = [...counts].map(([name, count]) => `${name} ${(count / COMMITS).toFixed(1)}`).join(", ");
  console.log(
    `model disk (fsync ${SYNC} ms, other calls ${CALL} ms, durable ${durable}): ${ms.toFixed(1)} ms per 1 KiB commit; calls per commit: ${calls}`,
  );
});
await checkpoint.close();
