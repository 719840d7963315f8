import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { StoreAbortedError, TransientStoreError } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../src/index.js";
import { failure } from "./support/proxied.js";

const ANNOUNCED = 1024 * 1024;

/**
 * An HTTP server answering every GET of an object as S3 would start to (200, the announced
 * `Content-Length`, an ETag), then sending only part of the body and cutting the connection, or
 * sending it slowly: the response bodies radosgw never produces on loopback.
 */
function startCuttingServer(): Promise<Server> {
  const server = createServer((request, response) => {
    response.writeHead(200, {
      "content-length": String(ANNOUNCED),
      etag: '"0123456789abcdef0123456789abcdef"',
      "last-modified": new Date().toUTCString(),
    });
    const piece = Buffer.alloc(64 * 1024, 7);
    if (request.url?.includes("slow")) {
      // One piece, then nothing until the client gives up.
      response.write(piece);
      return;
    }
    for (let sent = 0; sent < ANNOUNCED / 4; sent += piece.byteLength) response.write(piece);
    setTimeout(() => response.socket?.destroy(), 20);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("S3Store.get reading a response body", () => {
  let server: Server;
  let store: S3Store;
  beforeAll(async () => {
    server = await startCuttingServer();
    const { port } = server.address() as AddressInfo;
    store = new S3Store({
      bucket: "body",
      clientConfig: {
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
        maxAttempts: 1,
      },
    });
  });
  afterAll(async () => {
    await store.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("a body cut off before its announced length is a TransientStoreError naming the key", async () => {
    const pieces: number[] = [];
    const error = await failure(() =>
      store.get("cut/object.npy", { onChunk: (chunk, offset) => pieces.push(offset + chunk.byteLength) }),
    );
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).key).toBe("cut/object.npy");
    // The pieces handed over were the ones that arrived, in order, none past the cut.
    expect(pieces.length).toBeGreaterThan(0);
    expect(pieces.at(-1)!).toBeLessThan(ANNOUNCED);
  });

  it("an abort while the body arrives ends the read with StoreAbortedError", async () => {
    const controller = new AbortController();
    const read = store.get("slow/object.npy", {
      signal: controller.signal,
      onChunk: () => controller.abort(new Error("enough")),
    });
    const error = await failure(() => read);
    expect(error).toBeInstanceOf(StoreAbortedError);
    expect((error as StoreAbortedError).key).toBe("slow/object.npy");
  });

  it("an onChunk that throws ends the get with its error, as it is", async () => {
    const thrown = new Error("the caller's digest failed");
    const error = await failure(() =>
      store.get("cut/other.npy", {
        onChunk: () => {
          throw thrown;
        },
      }),
    );
    expect(error).toBe(thrown);
  });

  it("maxBytes below what arrives stops the read with E_TOO_LARGE", async () => {
    const error = await failure(() => store.get("slow/big.npy", { maxBytes: 1000 }));
    expect((error as { code?: string }).code).toBe("E_TOO_LARGE");
  });
});
