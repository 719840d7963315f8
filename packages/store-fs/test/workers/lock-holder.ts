// A worker process that takes a key's lock (as a put does for its check and rename) and then
// hangs inside it until killed: the SIGKILL test's worst moment, made certain.

import * as fs from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FsApi } from "../../src/index.js";
import { withKeyLock } from "../../src/lock.js";

const [root, key] = process.argv.slice(2);
const path = join(root!, ...key!.split("/"));
await fs.mkdir(dirname(path), { recursive: true });
await withKeyLock(
  {
    fs: fs as unknown as FsApi,
    dir: dirname(path),
    name: path.slice(dirname(path).length + 1),
    key: key!,
    staleMs: 3_600_000,
    signal: undefined,
  },
  async () => {
    process.send!("locked");
    await new Promise(() => {});
  },
);
