import { AsyncLocalStorage } from "node:async_hooks";
import type { Checkpoint } from "./checkpoint.js";
import type { CheckpointSession } from "./session.js";

// The stack of sessions entered in this async context, innermost last. AsyncLocalStorage (not a
// module variable) is what keeps two concurrent runs of different checkpoints apart.
const sessions = new AsyncLocalStorage<readonly CheckpointSession[]>();

// The most recently constructed checkpoint: states bound while no session is active wait for it.
let current: Checkpoint | undefined;

/** Sessions entered in the current async context, outermost first. */
export function activeSessions(): readonly CheckpointSession[] {
  return sessions.getStore() ?? [];
}

/** The innermost session entered in the current async context, if any. */
export function activeSession(): CheckpointSession | undefined {
  return activeSessions().at(-1);
}

/** Runs `fn` with `session` pushed on the current context's session stack. */
export function runInSession<T>(session: CheckpointSession, fn: () => T): T {
  return sessions.run([...activeSessions(), session], fn);
}

/** Records `checkpoint` as the one that states bound outside any session attach to. */
export function setCurrentCheckpoint(checkpoint: Checkpoint): void {
  current = checkpoint;
}

/** The most recently constructed checkpoint, if any. */
export function currentCheckpoint(): Checkpoint | undefined {
  return current;
}
