// A worker that puts and deletes a large object, so its store keeps the file, then says so and
// exits without closing the store (`exit`) or waits to be killed (`wait`).
import { FsStore } from "../../src/index.js";

const [root, how] = process.argv.slice(2);
const store = new FsStore({ root: root! });
await store.put("kept/object", new Uint8Array(2 * 1024 * 1024).fill(5));
await store.delete(["kept/object"]);
process.send!({ kept: true }, () => {
  if (how === "exit") process.exit(0);
});
if (how === "wait") setInterval(() => {}, 1000);
