/**
 * Where states bound outside any session wait, and which session adopts them. A checkpoint's
 * queue holds the states bound while it was the newest checkpoint constructed, and those left
 * behind by its ended sessions. A session adopts its own checkpoint's queue when it starts, plus
 * the queues of checkpoints constructed after its own that never started a session: one that is
 * only read from (or not used at all) never keeps a job's state from being saved.
 */
import type { CheckpointStateHandle, StateBinding } from "./binding.js";
import type { Checkpoint } from "./checkpoint.js";
import { CheckpointStateCollisionError } from "./errors.js";

/** A state waiting for the next session of a checkpoint. */
export interface PendingBinding {
  readonly binding: StateBinding;
  /** Left behind by a session that ended: a different object may replace it once. */
  readonly reusable: boolean;
  /** The checkpoint the state waited for, when it is not the adopting session's. */
  readonly waitedFor?: Checkpoint | undefined;
}

interface Queue {
  readonly order: number;
  started: boolean;
  pending: PendingBinding[];
}

const queues = new WeakMap<Checkpoint, Queue>();
// Checkpoints that hold states bound outside any session; emptied as sessions adopt them.
const holding = new Set<Checkpoint>();
let constructed = 0;
let newest: Checkpoint | undefined;

function queueOf(checkpoint: Checkpoint): Queue {
  let queue = queues.get(checkpoint);
  if (queue === undefined) {
    queue = { order: constructed++, started: false, pending: [] };
    queues.set(checkpoint, queue);
  }
  return queue;
}

/** Records a newly constructed checkpoint: the newest is the one states bound outside a session wait for. */
export function registerCheckpoint(checkpoint: Checkpoint): void {
  queueOf(checkpoint);
  newest = checkpoint;
}

/** The most recently constructed checkpoint, if any. */
export function currentCheckpoint(): Checkpoint | undefined {
  return newest;
}

/** Keeps `binding` for the next session of `checkpoint` (a reusable one may be replaced once). */
export function addPending(
  checkpoint: Checkpoint,
  binding: StateBinding,
  reusable = false,
): CheckpointStateHandle {
  const queue = queueOf(checkpoint);
  const id = binding.type.id;
  const index = queue.pending.findIndex((item) => item.binding.type.id === id);
  const existing = queue.pending[index];
  if (existing !== undefined) {
    if (existing.binding === binding) {
      if (!reusable && existing.reusable) queue.pending[index] = { binding, reusable: false };
    } else if (!existing.reusable) {
      // A state left behind by an ending session never displaces one bound since.
      if (reusable) return binding.handle;
      throw new CheckpointStateCollisionError(id, checkpoint.name);
    } else queue.pending[index] = { binding, reusable };
  } else queue.pending.push({ binding, reusable });
  if (!reusable) holding.add(checkpoint);
  binding.attach(checkpoint);
  return binding.handle;
}

/**
 * Hands the states waiting for `checkpoint` to its starting session, followed by those waiting for
 * checkpoints constructed after it that never started a session (marked with `waitedFor`).
 */
export function takePending(checkpoint: Checkpoint): readonly PendingBinding[] {
  const queue = queueOf(checkpoint);
  queue.started = true;
  const taken = queue.pending;
  queue.pending = [];
  holding.delete(checkpoint);
  for (const other of holding) {
    const otherQueue = queueOf(other);
    if (otherQueue.started || otherQueue.order < queue.order) continue;
    for (const item of otherQueue.pending) taken.push({ ...item, waitedFor: other });
    otherQueue.pending = [];
    holding.delete(other);
  }
  return taken;
}
