import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareOutputs, writeOutput } from "../src/output.js";

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ckpt-lorenz96-output-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("compareOutputs", () => {
  it("finds identical folders identical, and a single flipped bit or a missing file different", async () => {
    const a = join(work, "a");
    const b = join(work, "b");
    const x = Float64Array.of(1.5, -2.25, Math.PI);
    for (const dir of [a, b]) {
      await writeOutput(dir, 0, 6, x);
      await writeOutput(dir, 1, 6, x);
    }
    expect(await compareOutputs(a, b)).toEqual({ identical: true, files: 2, bytes: 48 });

    const y = Float64Array.from(x);
    const view = new DataView(y.buffer);
    view.setUint8(0, view.getUint8(0) ^ 1); // the lowest bit of the first value
    await writeOutput(b, 1, 6, y);
    const flipped = await compareOutputs(a, b);
    expect(flipped.identical).toBe(false);
    expect(flipped.difference).toContain("member_01");

    await writeOutput(b, 1, 6, x);
    await writeFile(join(a, "extra.f64"), new Uint8Array(8));
    const extra = await compareOutputs(a, b);
    expect(extra.identical).toBe(false);
    expect(extra.difference).toContain("extra.f64");
  });
});
