/**
 * Runs the store-gcs tests' Cloud Storage JSON API server (a TEST FIXTURE, in memory) in a process of
 * its own for the benchmarks, prints `{"url": …}` on one line, and stops when stdin closes or on
 * SIGTERM.
 */
import { GcsTestServer } from "../packages/store-gcs/test/support/gcs-server.js";

const server = await GcsTestServer.start();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.stdin.on("end", () => void stop());
process.stdin.resume();
process.on("SIGTERM", () => void stop());
