import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  defaultStoreUrl,
  InvalidKeyError,
  openStore,
  parseStoreUrl,
  redactUrl,
  StoreConfigError,
  validateKey,
} from "../src/index.js";

// This file imports no store package: openStore must load each one on demand from its scheme.
describe("openStore", () => {
  it("loads @ckpt/store-s3 on demand for s3:// without any network call", async () => {
    const store = await openStore("s3://bucket/runs?region=us-east-1&endpoint=http://127.0.0.1:9");
    expect(store.url).toMatch(/^s3:\/\/bucket\/runs/);
    await store.close?.();
  });

  it("loads @ckpt/store-gcs on demand for gs:// without any network call", async () => {
    const store = await openStore("gs://bucket/runs");
    expect(store.url).toMatch(/^gs:\/\/bucket\/runs/);
    await store.close?.();
  });

  it("loads @ckpt/store-fs on demand for memory:// and plain paths", async () => {
    const memory = await openStore("memory://open-store-test");
    await memory.put("a/b.txt", new TextEncoder().encode("x"));
    expect((await memory.head("a/b.txt"))?.size).toBe(1);
    expect(parseStoreUrl("relative/folder").protocol).toBe("file:");
    expect(parseStoreUrl("/abs/folder").href).toBe("file:///abs/folder");
  });

  it("names an unsupported scheme and a malformed URL", async () => {
    await expect(openStore("ftp://host/x")).rejects.toThrow(StoreConfigError);
    await expect(openStore("ftp://host/x")).rejects.toThrow(/Unsupported store URL scheme "ftp:"/);
    await expect(openStore("")).rejects.toThrow(/non-empty/);
  });

  it("uses CKPT_STORE, else a folder under ~/.cache", () => {
    expect(defaultStoreUrl({ CKPT_STORE: "memory://x" })).toBe("memory://x");
    expect(defaultStoreUrl({})).toBe(pathToFileURL(join(homedir(), ".cache", "ckpt", "checkpoints")).href);
  });

  it("keeps credentials out of URLs shown in messages", () => {
    const shown = redactUrl("s3://AKIDEXAMPLE:wJalrXUtnFEMI@bucket/p?secretAccessKey=abc&region=x");
    expect(shown).not.toContain("wJalrXUtnFEMI");
    expect(shown).not.toContain("AKIDEXAMPLE");
    expect(shown).not.toContain("abc");
    expect(shown).toContain("region=x");
  });
});

describe("validateKey", () => {
  it.each([
    ["", /empty/],
    ["/abs", /relative/],
    ["a//b", /empty segments/],
    ["a/../b", /'\.\.' segment/],
    ["a/./b", /'\.' segment/],
    ["a\\b", /backslash/],
    ["a\u0000b", /control/],
    ["a\u007fb", /control/],
    ["a\ud800b", /well-formed/],
    ["x".repeat(901), /at most 900 bytes/],
  ])("refuses %j", (key, reason) => {
    expect(() => validateKey(key)).toThrow(InvalidKeyError);
    expect(() => validateKey(key)).toThrow(reason);
  });

  it("accepts ordinary keys", () => {
    for (const key of [
      "a",
      "a/b/c.json",
      "name/rank_000003/commits/commit_00000001_abcdef012345/manifest.json",
      "ünï cödé",
    ])
      expect(() => validateKey(key)).not.toThrow();
  });
});
