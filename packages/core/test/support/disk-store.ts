import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { NotFoundError, PreconditionFailedError } from "../../src/errors.js";
import {
  bodyChunks,
  concatChunks,
  type ObjectInfo,
  type Store,
  tooLargeError,
  validateKey,
  validatePrefix,
} from "../../src/store/index.js";

/**
 * A minimal folder-backed store for core's cross-process tests while @ckpt/store-fs is not
 * there: whole-file writes by rename (atomic), create-only by link (fails if the key exists),
 * and compare-and-swap under an O_EXCL lock file per key, so preconditions hold across
 * processes. The version is a hash of the bytes plus a per-put nonce kept beside the object.
 */
export class DiskTestStore implements Store {
  constructor(readonly root: string) {}

  get url(): string {
    return `disk-test://${this.root}`;
  }

  #path(key: string): string {
    return join(this.root, ...key.split("/"));
  }

  async put(key: string, body: Parameters<Store["put"]>[1], options?: Parameters<Store["put"]>[2]) {
    validateKey(key);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bodyChunks(body)) chunks.push(chunk);
    const bytes = concatChunks(chunks);
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const version = `${createHash("sha1").update(bytes).digest("hex").slice(0, 16)}-${randomBytes(4).toString("hex")}`;
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    await writeWhole(tmp, bytes);
    await writeWhole(`${tmp}.v`, new TextEncoder().encode(version));
    try {
      if (options?.ifNoneMatch === "*") {
        await this.#locked(path, async () => {
          try {
            await link(tmp, path);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "EEXIST")
              throw new PreconditionFailedError(key, "the key exists");
            throw error;
          }
          await rename(`${tmp}.v`, `${path}.v`);
        });
      } else if (options?.ifMatch !== undefined) {
        await this.#locked(path, async () => {
          const current = await readFile(`${path}.v`, "utf8").catch(() => undefined);
          if (current !== options.ifMatch) throw new PreconditionFailedError(key, "the version differs");
          await rename(tmp, path);
          await rename(`${tmp}.v`, `${path}.v`);
        });
      } else
        await this.#locked(path, async () => {
          await rename(tmp, path);
          await rename(`${tmp}.v`, `${path}.v`);
        });
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.v`, { force: true });
    }
    return { key, size: bytes.byteLength, version, lastModified: new Date() };
  }

  async #locked<T>(path: string, action: () => Promise<T>): Promise<T> {
    const lock = `${path}.lock`;
    for (;;) {
      try {
        await (await open(lock, "wx")).close();
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") await mkdir(dirname(lock), { recursive: true });
        else if (code === "EEXIST") await new Promise((done) => setTimeout(done, 1));
        else throw error;
      }
    }
    try {
      return await action();
    } finally {
      await unlink(lock);
    }
  }

  async get(key: string, options?: Parameters<Store["get"]>[1]) {
    validateKey(key);
    const path = this.#path(key);
    // Read bytes and version under the lock, so they belong to the same put.
    return this.#locked(path, async () => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(key);
        throw error;
      }
      if (options?.maxBytes !== undefined && bytes.byteLength > options.maxBytes)
        throw tooLargeError(key, options.maxBytes);
      const version = await readFile(`${path}.v`, "utf8");
      const info = await stat(path);
      return { info: { key, size: bytes.byteLength, version, lastModified: info.mtime }, bytes };
    });
  }

  async getStream(key: string, options?: Parameters<Store["getStream"]>[1]) {
    const { info, bytes } = await this.get(key, options);
    return {
      info,
      stream: (async function* () {
        yield bytes;
      })(),
    };
  }

  async head(key: string) {
    try {
      return (await this.get(key)).info;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async list(prefix: string) {
    validatePrefix(prefix);
    const items: ObjectInfo[] = [];
    const walk = async (folder: string): Promise<void> => {
      const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (!/\.(v|lock)$|\.tmp-/.test(entry.name)) {
          const key = relative(this.root, path).split(sep).join("/");
          if (!key.startsWith(prefix)) continue;
          const info = await stat(path).catch(() => undefined);
          const version = await readFile(`${path}.v`, "utf8").catch(() => undefined);
          if (info && version) items.push({ key, size: info.size, version, lastModified: info.mtime });
        }
      }
    };
    await walk(this.root);
    return { items: items.sort((a, b) => (a.key < b.key ? -1 : 1)) };
  }

  async delete(keys: readonly string[]) {
    for (const key of keys) {
      validateKey(key);
      await rm(this.#path(key), { force: true });
      await rm(`${this.#path(key)}.v`, { force: true });
    }
  }
}

async function writeWhole(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}
