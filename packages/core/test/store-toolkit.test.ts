// The toolkit core exports for store authors: bounded map, abortable sleep and race, option
// parsing, the prefix rule, put-option checks and secret redaction.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  InvalidArgumentError,
  mapBounded,
  normalizeStorePrefix,
  parseStoreOptions,
  raceAbort,
  redactSecrets,
  StoreAbortedError,
  StoreConfigError,
  sleep,
  validatePutOptions,
} from "../src/index.js";

describe("mapBounded", () => {
  it("keeps at most `concurrency` tasks in flight and returns results in item order", async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapBounded([5, 1, 4, 2, 3], 2, undefined, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(n);
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it("pulls an async iterable only when a slot is free, and stops pulling after the first failure", async () => {
    let pulled = 0;
    let finished = 0;
    async function* items(): AsyncGenerator<number> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const failure = await mapBounded(items(), 3, undefined, async (n, signal) => {
      expect(pulled - finished).toBeLessThanOrEqual(3);
      if (n === 4) throw new Error("part 4 failed");
      await sleep(2, signal).catch(() => undefined);
      finished++;
      return n;
    }).catch((error: unknown) => error);
    expect((failure as Error).message).toBe("part 4 failed");
    expect(pulled).toBeLessThan(10);
  });

  it("aborts the signal of the tasks in flight when one fails, and waits for them", async () => {
    const settled: string[] = [];
    const error = await mapBounded(["slow", "bad"], 2, undefined, async (item, signal) => {
      if (item === "bad") throw new Error("bad");
      await sleep(60_000, signal).catch((reason: unknown) => {
        settled.push(reason instanceof StoreAbortedError ? "aborted" : "other");
      });
    }).catch((reason: unknown) => reason);
    expect((error as Error).message).toBe("bad");
    expect(settled).toEqual(["aborted"]);
  });
});

describe("sleep and raceAbort", () => {
  it("sleep rejects with StoreAbortedError naming the key when the signal aborts", async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal, "runs/a");
    controller.abort(new Error("stop"));
    const error = await waiting.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StoreAbortedError);
    expect((error as StoreAbortedError).key).toBe("runs/a");
  });

  it("raceAbort settles like the promise, or rejects at once on abort", async () => {
    expect(await raceAbort(Promise.resolve(7), new AbortController().signal)).toBe(7);
    const controller = new AbortController();
    const never = new Promise<number>(() => {});
    const raced = raceAbort(never, controller.signal, "k");
    controller.abort();
    await expect(raced).rejects.toBeInstanceOf(StoreAbortedError);
    await expect(
      raceAbort(Promise.reject(new Error("late")), AbortSignal.abort(), "k"),
    ).rejects.toBeInstanceOf(StoreAbortedError);
  });
});

describe("option checks", () => {
  it("parseStoreOptions names the store and the option, never the value", () => {
    const schema = z.object({ secretKey: z.string().min(40) }).strict();
    const error = (() => {
      try {
        parseStoreOptions(schema, { secretKey: "hunter2" }, "MyStore");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StoreConfigError);
    expect((error as Error).message).toMatch(/^Invalid MyStore option "secretKey": /);
    expect((error as Error).message).not.toContain("hunter2");
    expect(parseStoreOptions(schema, { secretKey: "x".repeat(40) }, "MyStore").secretKey).toHaveLength(40);
  });

  it("normalizeStorePrefix holds a folder without slashes around it and refuses unsafe ones", () => {
    for (const prefix of ["runs/2026", "/runs/2026", "runs/2026/", "//runs/2026//"])
      expect(normalizeStorePrefix(prefix, "S")).toBe("runs/2026");
    expect(normalizeStorePrefix(undefined, "S")).toBe("");
    expect(normalizeStorePrefix("/", "S")).toBe("");
    for (const bad of ["a//b", "a/../b", "a/\u0001"])
      expect(() => normalizeStorePrefix(bad, "S")).toThrow(StoreConfigError);
  });

  it("validatePutOptions refuses ifMatch with ifNoneMatch, an empty ifMatch, a bad ifNoneMatch or size", () => {
    const refused = [
      { ifMatch: "v1", ifNoneMatch: "*" as const },
      { ifMatch: "" },
      { ifNoneMatch: "x" as unknown as "*" },
      { size: -1 },
      { size: 1.5 },
    ];
    for (const options of refused) {
      expect(() => validatePutOptions("runs/k", options)).toThrow(InvalidArgumentError);
    }
    for (const options of [undefined, {}, { ifMatch: "v1" }, { ifNoneMatch: "*" as const }, { size: 0 }])
      expect(() => validatePutOptions("runs/k", options)).not.toThrow();
  });
});

describe("redactSecrets", () => {
  it("takes out URL queries, key ids, credential pairs and bearer tokens", () => {
    const text = [
      "GET https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/x failed",
      "Credential=AKIAIOSFODNN7EXAMPLE/20261130, Signature=deadbeef; Authorization: Bearer ya29.secret-token",
      "upload https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=SESSION",
    ]
      .map(redactSecrets)
      .join("\n");
    for (const secret of ["abc123", "AKIAIOSFODNN7EXAMPLE", "deadbeef", "ya29.secret-token", "SESSION"])
      expect(text).not.toContain(secret);
    expect(text).toContain("https://storage.googleapis.com/upload/storage/v1/b/b/o?***");
    expect(text).toContain("https://b.s3.amazonaws.com/k?***");
  });
});
