// The Cloud Storage test fixture in a Node process of its own (see gcs-server-process.ts): prints
// `{"url": …}` on one line, and stops when stdin closes or on SIGTERM.
import { GcsTestServer } from "./gcs-server.js";

const server = await GcsTestServer.start();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.stdin.on("end", () => void stop());
process.stdin.resume();
process.on("SIGTERM", () => void stop());
