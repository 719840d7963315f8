/**
 * Test set-up shared by the suites that put a fault-injecting proxy between S3Store and radosgw.
 */
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { type FaultProxy, type SeenRequest, startFaultProxy } from "@ckpt/test-servers";
import { radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { S3Store, type S3StoreOptions } from "../../src/index.js";
import { emptyStore, uniquePrefix } from "./stores.js";

/** The error `call` rejects with; fails the test when it resolves. */
export async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return expect.fail("expected the call to fail");
}

/** What {@link useFaultProxy} hands the tests of its describe block. */
export interface ProxiedStores {
  /** The proxy (started before the block's first test). */
  proxy(): FaultProxy;
  /** A new store behind the proxy, under a fresh prefix; emptied and closed after the block. */
  store(label: string, options?: Partial<S3StoreOptions>, client?: S3ClientConfig): S3Store;
  /** The PUT requests the proxy saw since its last reset. */
  puts(): SeenRequest[];
}

/**
 * Starts a fault proxy in front of radosgw for the enclosing `describe`: reset before each test,
 * closed after the block, with every store made through {@link ProxiedStores.store} emptied and
 * closed first.
 */
export function useFaultProxy(): ProxiedStores {
  let proxy: FaultProxy | undefined;
  const stores: S3Store[] = [];
  const started = () => {
    if (proxy === undefined) throw new Error("the fault proxy starts in beforeAll");
    return proxy;
  };
  beforeAll(async () => {
    proxy = await startFaultProxy(radosgw().endpoint);
  });
  beforeEach(() => started().reset());
  afterAll(async () => {
    started().reset();
    for (const store of stores) {
      await emptyStore(store);
      await store.close();
    }
    await started().close();
  });
  return {
    proxy: started,
    store(label, options = {}, client = {}) {
      const store = new S3Store({
        bucket: radosgw().bucket,
        prefix: uniquePrefix(label),
        clientConfig: radosgwClientConfig({ endpoint: started().endpoint, ...client }),
        ifMatchQuoting: "unquoted",
        ...options,
      });
      stores.push(store);
      return store;
    },
    puts: () => started().requests.filter((request) => request.method === "PUT"),
  };
}
