// Runs the fake Cloud Storage (TEST FIXTURE) in its own process for the throughput bench, so the
// server does not share an event loop with the client being measured. Prints its URL on stdout.
import { GcsTestServer } from "../test/support/gcs-server.js";

const server = await GcsTestServer.start();
server.state.createBucket("bench");
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  void server.stop().then(() => process.exit(0));
});
