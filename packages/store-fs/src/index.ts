import { registerStoreOpener } from "@ckpt/core";
import { FsStore } from "./fs-store.js";

export type { FsApi, FsBigIntStats, FsDirent, FsFileHandle } from "./fs-api.js";
export { FsStore, type FsStoreOptions } from "./fs-store.js";
export { memoryVolume } from "./memory.js";

registerStoreOpener("file:", (url) => FsStore.fromUrl(url));
registerStoreOpener("memory:", (url) => FsStore.fromUrl(url));
