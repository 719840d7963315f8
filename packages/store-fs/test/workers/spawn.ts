import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root: tsx resolves from there. */
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** Starts a TypeScript worker in its own Node process, with an IPC channel. */
export function spawnWorker(script: string, args: readonly string[]): ChildProcess {
  return spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=@ckpt/source",
      fileURLToPath(new URL(script, import.meta.url)),
      ...args,
    ],
    { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
}

/** The next IPC message matching `accept`. */
export function nextMessage<T>(child: ChildProcess, accept: (message: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`worker ${child.pid} exited (${code ?? signal}) before the expected message`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Resolves once the process has exited and been reaped. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** The pid of a process that has exited (and been reaped): a lock or temp file of it is a dead writer's. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}
