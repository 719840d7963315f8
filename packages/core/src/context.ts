import { AsyncLocalStorage } from "node:async_hooks";
import type { CheckpointSession } from "./session.js";

// The stack of sessions entered in this async context, innermost last. AsyncLocalStorage (not a
// module variable) is what keeps two concurrent runs of different checkpoints apart.
const sessions = new AsyncLocalStorage<readonly CheckpointSession[]>();

// Sessions inside their outermost run(), in any async context: a state bound outside every session
// while one of these runs has no unambiguous target.
const running = new Set<CheckpointSession>();

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

/** Marks `session` as running (its outermost `run` started) or not (it returned or threw). */
export function setRunning(session: CheckpointSession, isRunning: boolean): void {
  if (isRunning) running.add(session);
  else running.delete(session);
}

/** A session running in some async context, if any (the first one started). */
export function runningSession(): CheckpointSession | undefined {
  return running.values().next().value;
}
