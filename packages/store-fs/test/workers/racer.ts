// A worker process for the cross-process race test: puts on command, reports the outcome.
import { FsStore } from "../../src/index.js";

interface Command {
  readonly key: string;
  readonly body: string;
  readonly ifNoneMatch?: "*";
  readonly ifMatch?: string;
}

const [root] = process.argv.slice(2);
const store = new FsStore({ root: root! });

process.on("message", async (command: Command | "exit") => {
  if (command === "exit") process.exit(0);
  try {
    const info = await store.put(command.key, new TextEncoder().encode(command.body), {
      ifNoneMatch: command.ifNoneMatch,
      ifMatch: command.ifMatch,
    });
    process.send!({ ok: true, version: info.version });
  } catch (error) {
    process.send!({ ok: false, code: (error as { code?: string }).code, message: String(error) });
  }
});
process.send!("ready");
