/**
 * Capturing a commit for a background upload copies the blobs that view live arrays into pooled
 * buffers, keeps fresh bytes as they are, and reuses a buffer once it is handed back.
 */
import { describe, expect, it } from "vitest";
import { BufferPool, captureObjects } from "../src/capture.js";
import type { CommitObject } from "../src/commit/index.js";

const live = new Float64Array(1024).fill(7);
const header = new Uint8Array([1, 2, 3, 4]);
const blob: CommitObject = {
  key: "states/s/values.npy",
  chunks: [header, new Uint8Array(live.buffer)],
  size: header.byteLength + live.byteLength,
};
const json = new TextEncoder().encode("{}");
const stateJson: CommitObject = { key: "states/s/state.json", chunks: [json], size: json.byteLength };
const isBlob = (object: CommitObject) => object.key.endsWith(".npy");

describe("captureObjects", () => {
  it("copies blob bytes into one pooled buffer, leaves fresh bytes as they are", () => {
    const pool = new BufferPool();
    const { objects, buffers } = captureObjects([stateJson, blob], pool, isBlob);
    expect(objects[0]).toBe(stateJson);
    expect(buffers).toHaveLength(1);
    const copy = objects[1]!.chunks[0]!;
    expect(objects[1]!.chunks).toHaveLength(1);
    expect(copy.byteLength).toBe(blob.size);
    live.fill(9);
    expect([...copy.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect(new Float64Array(copy.slice(4).buffer)[0]).toBe(7);
    live.fill(7);
  });

  it("reuses a buffer once it is handed back, and allocates while it is held", () => {
    const pool = new BufferPool();
    const first = captureObjects([blob], pool, isBlob);
    const second = captureObjects([blob], pool, isBlob);
    expect(second.buffers[0]).not.toBe(first.buffers[0]);
    pool.give(first.buffers);
    const third = captureObjects([blob], pool, isBlob);
    expect(third.buffers[0]).toBe(first.buffers[0]);
    pool.clear();
    expect(captureObjects([blob], pool, isBlob).buffers[0]).not.toBe(first.buffers[0]);
  });
});
