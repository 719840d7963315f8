import type { GetOptions, GetStreamResult, ListOptions, ListPage, Store } from "@ckpt/core";

/** What {@link observeStore} reports while a command reads. */
export interface StoreObserver {
  /** A listing returned a page of `count` objects. */
  listed?(count: number): void;
  /** `bytes` more bytes of a streamed object arrived; `done` once its stream ended. */
  streamed?(bytes: number, done: boolean): void;
}

async function* counted(
  stream: AsyncIterable<Uint8Array>,
  streamed: (bytes: number, done: boolean) => void,
): AsyncIterable<Uint8Array> {
  for await (const chunk of stream) {
    streamed(chunk.byteLength, false);
    yield chunk;
  }
  streamed(0, true);
}

/**
 * `store` with its listings and streamed reads reported to `observer`, for progress output; every
 * call still goes to `store` itself, so core's readers need no progress hooks of their own.
 */
export function observeStore(store: Store, observer: StoreObserver): Store {
  const { listed, streamed } = observer;
  return new Proxy(store, {
    get(target, property) {
      if (property === "list" && listed)
        return async (prefix: string, options?: ListOptions): Promise<ListPage> => {
          const page = await target.list(prefix, options);
          listed(page.items.length);
          return page;
        };
      if (property === "getStream" && streamed)
        return async (key: string, options?: GetOptions): Promise<GetStreamResult> => {
          const result = await target.getStream(key, options);
          return { info: result.info, stream: counted(result.stream, streamed) };
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
