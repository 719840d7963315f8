// Pins the request/response shapes of the fake Cloud Storage (a TEST FIXTURE) to the Cloud Storage
// JSON API reference, with raw fetch rather than the SDK, so the fixture cannot drift into agreeing
// with whatever the SDK happens to do.

import { Crc32c, GcsTestServer, RESUMABLE_QUANTUM } from "@ckpt/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: GcsTestServer;
let api: string;
let upload: string;
const bucket = "shapes";

beforeAll(async () => {
  server = await GcsTestServer.start();
  api = `${server.url}/storage/v1`;
  upload = `${server.url}/upload/storage/v1`;
  const created = await fetch(`${api}/b?project=p`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: bucket }),
  });
  expect(created.status).toBe(200);
});

afterAll(async () => {
  await server.stop();
});

const o = (name: string) => `${api}/b/${bucket}/o/${encodeURIComponent(name)}`;

async function media(name: string, body: string, query = ""): Promise<Response> {
  return fetch(`${upload}/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}${query}`, {
    method: "POST",
    headers: { "Content-Type": "text/plain" },
    body,
  });
}

interface ObjectJson {
  kind: string;
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  size: string;
  crc32c: string;
  md5Hash: string;
  contentType: string;
  updated: string;
  metadata?: Record<string, string>;
}

interface ErrorJson {
  error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[] };
}

describe("CRC-32C", () => {
  it("matches the standard check value and base64 form", () => {
    const crc = new Crc32c().update(Buffer.from("123456789"));
    expect(crc.value()).toBe(0xe3069283);
    expect(crc.base64()).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString("base64"));
    // Incremental updates agree with one pass (slicing-by-8 boundaries).
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
    const split = new Crc32c().update(data.subarray(0, 13)).update(data.subarray(13));
    expect(split.value()).toBe(new Crc32c().update(data).value());
  });
});

describe("buckets", () => {
  it("get answers a storage#bucket; a missing bucket is 404 notFound", async () => {
    const found = await fetch(`${api}/b/${bucket}`);
    expect(found.status).toBe(200);
    expect(found.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await found.json()).toMatchObject({ kind: "storage#bucket", name: bucket, id: bucket });
    const missing = await fetch(`${api}/b/no-such-bucket`);
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as ErrorJson;
    expect(body.error.code).toBe(404);
    expect(body.error.errors[0]).toMatchObject({ domain: "global", reason: "notFound" });
  });

  it("insert of an existing bucket is 409 conflict", async () => {
    const again = await fetch(`${api}/b?project=p`, {
      method: "POST",
      body: JSON.stringify({ name: bucket }),
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorJson).error.errors[0]?.reason).toBe("conflict");
  });

  it("also serves paths without /storage/v1 (the SDK's STORAGE_EMULATOR_HOST form)", async () => {
    expect((await fetch(`${server.url}/b/${bucket}`)).status).toBe(200);
  });
});

describe("objects.insert uploadType=media and objects.get", () => {
  it("returns the object resource with int64 fields as strings and correct hashes", async () => {
    const response = await media("a/one.txt", "hello");
    expect(response.status).toBe(200);
    const object = (await response.json()) as ObjectJson;
    expect(object).toMatchObject({
      kind: "storage#object",
      name: "a/one.txt",
      bucket,
      size: "5",
      metageneration: "1",
      contentType: "text/plain",
      crc32c: new Crc32c().update(Buffer.from("hello")).base64(),
      md5Hash: "XUFAKrxLKna5cZ2REBfFkg==",
    });
    expect(object.generation).toMatch(/^\d+$/);
    const got = await fetch(o("a/one.txt"));
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ name: "a/one.txt", generation: object.generation });
  });

  it("a missing object is 404 with a JSON API error body", async () => {
    const missing = await fetch(o("nope"));
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as ErrorJson;
    expect(body.error).toMatchObject({ code: 404, message: `No such object: ${bucket}/nope` });
    expect(body.error.errors[0]?.reason).toBe("notFound");
  });

  it("a missing name is 400 required", async () => {
    const response = await fetch(`${upload}/b/${bucket}/o?uploadType=media`, { method: "POST", body: "x" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorJson).error.errors[0]?.reason).toBe("required");
  });
});

describe("preconditions", () => {
  it("ifGenerationMatch=0 creates only when absent; the loser gets 412 conditionNotMet", async () => {
    const first = await media("pre/create", "1", "&ifGenerationMatch=0");
    expect(first.status).toBe(200);
    const second = await media("pre/create", "2", "&ifGenerationMatch=0");
    expect(second.status).toBe(412);
    const body = (await second.json()) as ErrorJson;
    expect(body.error.code).toBe(412);
    expect(body.error.errors[0]).toMatchObject({ domain: "global", reason: "conditionNotMet" });
    expect(await (await fetch(`${o("pre/create")}?alt=media`)).text()).toBe("1");
  });

  it("ifGenerationMatch=g replaces only generation g, with a larger generation; also fails when missing", async () => {
    const g1 = ((await (await media("pre/cas", "v1")).json()) as ObjectJson).generation;
    const ok = await media("pre/cas", "v2", `&ifGenerationMatch=${g1}`);
    expect(ok.status).toBe(200);
    const g2 = ((await ok.json()) as ObjectJson).generation;
    expect(BigInt(g2) > BigInt(g1)).toBe(true);
    expect((await media("pre/cas", "v3", `&ifGenerationMatch=${g1}`)).status).toBe(412);
    expect((await media("pre/missing", "v", `&ifGenerationMatch=${g1}`)).status).toBe(412);
  });

  it("ifGenerationNotMatch and ifMetagenerationMatch", async () => {
    const g = ((await (await media("pre/not", "v1")).json()) as ObjectJson).generation;
    expect((await media("pre/not", "v2", `&ifGenerationNotMatch=${g}`)).status).toBe(412);
    expect((await media("pre/not", "v2", "&ifGenerationNotMatch=1")).status).toBe(200);
    expect((await media("pre/not", "v3", "&ifMetagenerationMatch=2")).status).toBe(412);
    expect((await media("pre/not", "v3", "&ifMetagenerationMatch=1")).status).toBe(200);
    expect((await media("pre/nometa", "v", "&ifMetagenerationMatch=1")).status).toBe(412);
  });

  it("a non-integer precondition is 400 invalid", async () => {
    const response = await media("pre/bad", "v", "&ifGenerationMatch=abc");
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorJson).error.errors[0]?.reason).toBe("invalid");
  });

  it("8 concurrent create-only inserts: exactly one wins", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => media("pre/race", `w${i}`, "&ifGenerationMatch=0")),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
  });

  it("delete honours ifGenerationMatch and the generation selector", async () => {
    const g = ((await (await media("pre/del", "v")).json()) as ObjectJson).generation;
    expect((await fetch(`${o("pre/del")}?ifGenerationMatch=1`, { method: "DELETE" })).status).toBe(412);
    expect((await fetch(`${o("pre/del")}?generation=1`, { method: "DELETE" })).status).toBe(404);
    const deleted = await fetch(`${o("pre/del")}?ifGenerationMatch=${g}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect((await fetch(o("pre/del"), { method: "DELETE" })).status).toBe(404);
  });
});

describe("uploadType=multipart", () => {
  it("takes the JSON metadata part and the media part", async () => {
    const boundary = "b0undary";
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n`),
      Buffer.from(JSON.stringify({ name: "mp/x.bin", metadata: { writeId: "w-1" }, contentType: "app/x" })),
      Buffer.from(`\r\n--${boundary}\r\nContent-Type: app/x\r\n\r\n`),
      Buffer.from(`\r\n--${boundary}\r\nnot a delimiter`), // media that looks like a delimiter
      Buffer.from(`\r\n--${boundary}--`),
    ]);
    const response = await fetch(`${upload}/b/${bucket}/o?uploadType=multipart&ifGenerationMatch=0`, {
      method: "POST",
      headers: { "Content-Type": `multipart/related; boundary=${boundary}` },
      body,
    });
    expect(response.status).toBe(200);
    const object = (await response.json()) as ObjectJson;
    expect(object).toMatchObject({ name: "mp/x.bin", contentType: "app/x", metadata: { writeId: "w-1" } });
    const bytes = await (await fetch(`${o("mp/x.bin")}?alt=media`)).text();
    expect(bytes).toBe(`\r\n--${boundary}\r\nnot a delimiter`);
  });
});

describe("uploadType=resumable", () => {
  async function start(name: string, query = "", headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${upload}/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}${query}`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=UTF-8", ...headers },
      body: JSON.stringify({ metadata: { writeId: "r-1" } }),
    });
  }

  it("session URI, 308 with Range for whole 256 KiB units, status query, final 200, idempotent finish", async () => {
    const started = await start("res/big.bin");
    expect(started.status).toBe(200);
    const session = started.headers.get("location")!;
    expect(session).toContain("upload_id=");
    const data = Buffer.alloc(2 * RESUMABLE_QUANTUM + 100, 7);

    const first = await fetch(session, {
      method: "PUT",
      headers: { "Content-Range": `bytes 0-${RESUMABLE_QUANTUM - 1}/*` },
      body: data.subarray(0, RESUMABLE_QUANTUM),
    });
    expect(first.status).toBe(308);
    expect(first.headers.get("range")).toBe(`bytes=0-${RESUMABLE_QUANTUM - 1}`);

    // Not a multiple of 256 KiB: only the whole units are persisted.
    const second = await fetch(session, {
      method: "PUT",
      headers: { "Content-Range": `bytes ${RESUMABLE_QUANTUM}-${2 * RESUMABLE_QUANTUM + 9}/*` },
      body: data.subarray(RESUMABLE_QUANTUM, 2 * RESUMABLE_QUANTUM + 10),
    });
    expect(second.status).toBe(308);
    expect(second.headers.get("range")).toBe(`bytes=0-${2 * RESUMABLE_QUANTUM - 1}`);

    const status = await fetch(session, { method: "PUT", headers: { "Content-Range": "bytes */*" } });
    expect(status.status).toBe(308);
    expect(status.headers.get("range")).toBe(`bytes=0-${2 * RESUMABLE_QUANTUM - 1}`);

    const last = await fetch(session, {
      method: "PUT",
      headers: { "Content-Range": `bytes ${2 * RESUMABLE_QUANTUM}-${data.length - 1}/${data.length}` },
      body: data.subarray(2 * RESUMABLE_QUANTUM),
    });
    expect(last.status).toBe(200);
    const object = (await last.json()) as ObjectJson;
    expect(object).toMatchObject({
      name: "res/big.bin",
      size: String(data.length),
      metadata: { writeId: "r-1" },
      crc32c: new Crc32c().update(data).base64(),
    });

    const again = await fetch(session, { method: "PUT", headers: { "Content-Range": "bytes */*" } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as ObjectJson).generation).toBe(object.generation);
    const downloaded = Buffer.from(await (await fetch(`${o("res/big.bin")}?alt=media`)).arrayBuffer());
    expect(downloaded.equals(data)).toBe(true);
  });

  it("`bytes 0-*/*` sends the whole object in one request (the SDK's single-request mode)", async () => {
    const session = (await start("res/single")).headers.get("location")!;
    const response = await fetch(session, {
      method: "PUT",
      headers: { "Content-Range": "bytes 0-*/*" },
      body: "all of it",
    });
    expect(response.status).toBe(200);
    expect((await response.json()) as ObjectJson).toMatchObject({ name: "res/single", size: "9" });
  });

  it("a session with no bytes yet answers the status query with 308 and no Range", async () => {
    const session = (await start("res/empty-status")).headers.get("location")!;
    const status = await fetch(session, { method: "PUT", headers: { "Content-Range": "bytes */*" } });
    expect(status.status).toBe(308);
    expect(status.headers.get("range")).toBeNull();
  });

  it("preconditions are checked at the start and again, atomically, at the final chunk", async () => {
    await media("res/exists", "x");
    expect((await start("res/exists", "&ifGenerationMatch=0")).status).toBe(412);

    const session = (await start("res/late", "&ifGenerationMatch=0")).headers.get("location")!;
    await media("res/late", "someone else");
    const last = await fetch(session, {
      method: "PUT",
      headers: { "Content-Range": "bytes 0-2/3" },
      body: "abc",
    });
    expect(last.status).toBe(412);
    expect(((await last.json()) as ErrorJson).error.errors[0]?.reason).toBe("conditionNotMet");
    expect(await (await fetch(`${o("res/late")}?alt=media`)).text()).toBe("someone else");
  });

  it("a Content-Range that does not match the body is 400", async () => {
    const session = (await start("res/mismatch")).headers.get("location")!;
    const response = await fetch(session, {
      method: "PUT",
      headers: { "Content-Range": "bytes 0-9/10" },
      body: "abc",
    });
    expect(response.status).toBe(400);
  });
});

describe("alt=media downloads", () => {
  it("sends the stored hashes and generation headers, and honours Range with 206", async () => {
    const object = (await (await media("dl/x", "0123456789")).json()) as ObjectJson;
    const full = await fetch(`${o("dl/x")}?alt=media`);
    expect(full.status).toBe(200);
    expect(full.headers.get("x-goog-generation")).toBe(object.generation);
    expect(full.headers.get("x-goog-stored-content-encoding")).toBe("identity");
    expect(full.headers.get("x-goog-hash")).toBe(`crc32c=${object.crc32c},md5=${object.md5Hash}`);
    expect(await full.text()).toBe("0123456789");
    const part = await fetch(`${o("dl/x")}?alt=media`, { headers: { Range: "bytes=2-4" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 2-4/10");
    expect(await part.text()).toBe("234");
    const tail = await fetch(`${o("dl/x")}?alt=media`, { headers: { Range: "bytes=-3" } });
    expect(await tail.text()).toBe("789");
    expect((await fetch(`${server.url}/download/storage/v1/b/${bucket}/o/dl%2Fx?alt=media`)).status).toBe(
      200,
    );
  });

  it("a generation that is no longer live is 404", async () => {
    const old = ((await (await media("dl/gen", "a")).json()) as ObjectJson).generation;
    await media("dl/gen", "b");
    expect((await fetch(`${o("dl/gen")}?alt=media&generation=${old}`)).status).toBe(404);
  });
});

describe("objects.list", () => {
  beforeAll(async () => {
    for (const name of ["ls/a", "ls/b/1", "ls/b/2", "ls/c", "ls/d/1", "lz"]) await media(name, name);
  });

  it("prefix, in name order, int64 fields as strings, no items key when empty", async () => {
    const page = (await (await fetch(`${api}/b/${bucket}/o?prefix=ls/`)).json()) as {
      kind: string;
      items: ObjectJson[];
    };
    expect(page.kind).toBe("storage#objects");
    expect(page.items.map((item) => item.name)).toEqual(["ls/a", "ls/b/1", "ls/b/2", "ls/c", "ls/d/1"]);
    const none = (await (await fetch(`${api}/b/${bucket}/o?prefix=nothing/`)).json()) as Record<
      string,
      unknown
    >;
    expect(none).toEqual({ kind: "storage#objects" });
  });

  it("delimiter folds names into prefixes", async () => {
    const page = (await (await fetch(`${api}/b/${bucket}/o?prefix=ls/&delimiter=/`)).json()) as {
      items: ObjectJson[];
      prefixes: string[];
    };
    expect(page.items.map((item) => item.name)).toEqual(["ls/a", "ls/c"]);
    expect(page.prefixes).toEqual(["ls/b/", "ls/d/"]);
  });

  it("maxResults and pageToken page through everything exactly once", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const url = `${api}/b/${bucket}/o?prefix=ls/&maxResults=2${token ? `&pageToken=${token}` : ""}`;
      const page = (await (await fetch(url)).json()) as { items?: ObjectJson[]; nextPageToken?: string };
      seen.push(...(page.items ?? []).map((item) => item.name));
      token = page.nextPageToken;
      pages++;
    } while (token !== undefined);
    expect(seen).toEqual(["ls/a", "ls/b/1", "ls/b/2", "ls/c", "ls/d/1"]);
    expect(pages).toBe(3);
  });
});

describe("fault injection", () => {
  it("status: answers 503 with a JSON error body and has no effect", async () => {
    server.faults.add({ filter: { bucket, objectPrefix: "fault/503" }, action: { status: 503 } });
    const failed = await media("fault/503", "x");
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as ErrorJson).error.code).toBe(503);
    expect((await fetch(o("fault/503"))).status).toBe(404);
    expect((await media("fault/503", "x")).status).toBe(200); // only the next matching request
  });

  it("drop-response: the write takes effect, the client sees a broken connection", async () => {
    server.faults.add({
      filter: { operation: "objects.insert", objectPrefix: "fault/drop" },
      action: "drop-response",
    });
    await expect(media("fault/drop", "landed")).rejects.toThrow();
    expect(await (await fetch(`${o("fault/drop")}?alt=media`)).text()).toBe("landed");
  });

  it("drop-request: the connection breaks before any effect", async () => {
    server.faults.add({ filter: { objectPrefix: "fault/early" }, action: "drop-request" });
    await expect(media("fault/early", "never")).rejects.toThrow();
    expect((await fetch(o("fault/early"))).status).toBe(404);
  });

  it("is controllable over HTTP and reports what fired", async () => {
    const arm = await fetch(`${server.url}/__fixture/faults`, {
      method: "POST",
      body: JSON.stringify({ filter: { objectPrefix: "fault/http" }, action: { status: 500 }, times: 2 }),
    });
    expect(arm.status).toBe(204);
    expect((await media("fault/http", "x")).status).toBe(500);
    expect((await media("fault/http", "x")).status).toBe(500);
    expect((await media("fault/http", "x")).status).toBe(200);
    const fired = (await (await fetch(`${server.url}/__fixture/faults`)).json()) as { fired: unknown[] };
    expect(fired.fired.filter((f) => (f as { object: string }).object === "fault/http")).toHaveLength(2);
    expect((await fetch(`${server.url}/__fixture/faults`, { method: "DELETE" })).status).toBe(204);
  });
});
