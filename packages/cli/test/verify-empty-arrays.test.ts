import { bindCheckpointState, Checkpoint, checkpointState, ndArray, typedArray } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { tempStore } from "./support/fixtures.js";
import { runCli, storeFsPresent } from "./support/run-cli.js";

const Empty = checkpointState(
  "cli-test.Empty",
  // The filler uses up what a state packs into state.json: the empty arrays are .npy objects.
  z.object({
    filler: z.array(typedArray("uint8")),
    flat: typedArray("float64"),
    grid: ndArray("int32"),
    bytes: typedArray("uint8"),
  }),
);

describe.skipIf(!storeFsPresent)("ckpt verify on a row of empty arrays (needs @ckpt/store-fs)", () => {
  let store: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    store = await tempStore("empty");
  });
  afterAll(() => store.cleanup());

  it("exits 0: an empty array's checksum is the checksum of no bytes", async () => {
    const checkpoint = new Checkpoint("empty", { store: store.url, flushInterval: 1 });
    await checkpoint.run(async (session) => {
      bindCheckpointState(Empty, {
        // 15 × (4096 + 128) + (2048 + 128) bytes of .npy: exactly the 64 KiB a state packs.
        filler: [...Array.from({ length: 15 }, () => new Uint8Array(4096)), new Uint8Array(2048)],
        flat: new Float64Array(0),
        grid: { data: new Int32Array(0), shape: [4, 0] },
        bytes: new Uint8Array(new ArrayBuffer(0)),
      });
      await session.write({ step: 1 });
    });
    await checkpoint.close();
    const show = await runCli(["show", store.url, "empty"]);
    expect(show.stdout).toMatch(/flat\.npy/);
    const verify = await runCli(["verify", store.url, "empty", "--all"]);
    expect(verify.stdout + verify.stderr).toContain("verified 1 row(s)");
    expect(verify.code, verify.stderr).toBe(0);
  });
});
