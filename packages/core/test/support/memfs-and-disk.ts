/**
 * The two local stores a core behaviour is proven on: a fresh memfs volume and a fresh temporary
 * folder, each opened from its URL. Folders are removed after the file's tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll } from "vitest";
import { openStore, type Store } from "../../src/index.js";
// Registers the memory:// (memfs) and file:// openers.
import "@ckpt/store-fs";

/** One local store kind: `open()` gives a new, empty store of it. */
export interface LocalStoreKind {
  readonly name: "memfs" | "disk";
  readonly open: () => Promise<Store>;
}

/** memfs and disk stores named after `label`, for `describe.each`. */
export function memfsAndDisk(label: string): readonly LocalStoreKind[] {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });
  let counter = 0;
  return [
    { name: "memfs", open: () => openStore(`memory://${label}-${process.pid}-${counter++}`) },
    {
      name: "disk",
      open: async () => {
        const folder = await mkdtemp(join(tmpdir(), `ckpt-${label}-`));
        folders.push(folder);
        return openStore(pathToFileURL(folder).href);
      },
    },
  ];
}
