import { describe, expect, it } from "vitest";
import { fixtureStore } from "./support/stores.js";

describe("smoke", () => {
  it("roundtrip", async () => {
    const store = await fixtureStore({ resumableThreshold: 1024, chunkSize: 256 * 1024 });
    const small = await store.put("a/b.txt", new TextEncoder().encode("hello"), { ifNoneMatch: "*" });
    console.log(small);
    const got = await store.get("a/b.txt");
    expect(new TextDecoder().decode(got.bytes)).toBe("hello");
    const big = new Uint8Array(1024 * 1024 + 5).fill(3);
    const info = await store.put("big", [big.subarray(0, 100), big.subarray(100)], { ifMatch: undefined });
    expect(info.size).toBe(big.length);
    const back = await store.get("big");
    expect(Buffer.from(back.bytes).equals(Buffer.from(big))).toBe(true);
    await expect(store.put("a/b.txt", new Uint8Array(1), { ifNoneMatch: "*" })).rejects.toMatchObject({
      code: "E_PRECONDITION_FAILED",
    });
    const page = await store.list("");
    console.log(page);
    await store.delete(["a/b.txt", "nope"]);
    expect(await store.head("a/b.txt")).toBeUndefined();
  });
});
