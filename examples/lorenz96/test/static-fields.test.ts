/**
 * The job's static field (its climatology) is committed at every boundary but stored once: with
 * incremental commits every later row's manifest points at the first commit's object.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CatalogReader, openStore } from "@ckpt/core";
import { afterAll, expect, it } from "vitest";
import { climatology, runJob } from "../src/job.js";
import "@ckpt/store-fs";

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

it("the climatology is uploaded by the first commit only and every row restores it", async () => {
  const outDir = await mkdtemp(join(tmpdir(), "ckpt-lorenz96-static-"));
  folders.push(outDir);
  const store = await openStore(`memory://lorenz96-static-${process.pid}`);
  await runJob({ name: "static", store, outDir, config: { members: 1, steps: 4 } });
  const reader = new CatalogReader({ store, checkpoint: "static", root: "static" });
  const [row] = await reader.rows();
  expect(row!.writeCount).toBe(4);
  const entry = (await reader.manifest(row!)).objects.find((object) =>
    object.key.endsWith("lorenz96.StaticFields/climatology.npy"),
  )!;
  // Stored by write 1's commit (retired since, in overwrite mode); this row only references it.
  expect(entry.location).toMatch(
    /^commits\/commit_00000001_[0-9a-f]{12}\/states\/lorenz96\.StaticFields\/climatology\.npy$/,
  );
  await reader.verify(row!);
  const held = (await store.list("static/commits/")).items.filter((info) =>
    info.key.endsWith("climatology.npy"),
  );
  expect(held).toHaveLength(1);
  expect(
    new Float64Array(
      (await reader.readObject(await reader.manifest(row!), entry.key)).buffer.slice(
        -climatology().byteLength,
      ),
    ),
  ).toEqual(climatology());
});
