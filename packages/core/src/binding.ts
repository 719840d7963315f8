import type { z } from "zod";
import type { Checkpoint } from "./checkpoint.js";
import type { Labels } from "./commit/catalog-format.js";
import { activeSession, runningSession } from "./context.js";
import { CheckpointBindingError } from "./errors.js";
import { attachBinding } from "./internal.js";
import type { CheckpointLevel } from "./options.js";
import { addPending, currentCheckpoint } from "./pending.js";
import type { CheckpointSession } from "./session.js";
import type { CheckpointStateType } from "./state/declare.js";

/** The live state object of a declared state type. */
export type StateValue<T extends CheckpointStateType> = z.infer<T["schema"]> & object;

/**
 * What `bindCheckpointState` returns: the live state object as `value`, and read-only views of
 * the checkpoint it is bound to (the earth2studio proxy's `checkpoint_*` properties, camelCased).
 * Assigning to any property throws `CheckpointBindingError`.
 */
export interface CheckpointStateHandle<T extends object = object> {
  /** The live state object: the one passed to `bindCheckpointState`, restored in place. */
  readonly value: T;
  /** The state type's id. */
  readonly stateId: string;
  /** Whether the state is tied to a checkpoint (false for an unbound handle). */
  readonly checkpointEnabled: boolean;
  /** The checkpoint's level; 0 when unbound. */
  readonly checkpointLevel: CheckpointLevel;
  /** The checkpoint's device; `"cpu"` when unbound. */
  readonly device: string;
  /** The checkpoint's flush interval; `null` when unbound. */
  readonly checkpointFlushInterval: number | null;
  /** The session's write count; 0 outside a session. */
  readonly checkpointWriteCount: number;
  /** Whether the next `write` is expected to commit: `(writeCount + 1) % flushInterval === 0`. */
  readonly checkpointIsFlushDue: boolean;
  /** Whether the state is bound to a session of an existing row. */
  readonly checkpointSelected: boolean;
  /** Whether the state was restored from the session's row. */
  readonly checkpointStateLoaded: boolean;
  /** The session's `leadTime` metadata, if any. */
  readonly checkpointLeadTime: unknown;
  /** The session's row metadata (`{}` outside a session). */
  readonly checkpointMetadata: Readonly<Record<string, unknown>>;
  /** The session's labels (`{}` outside a session). */
  readonly checkpointLabels: Labels;
}

/** Where one live state object is bound. One per live object, shared by every binding call. */
export class StateBinding {
  readonly type: CheckpointStateType;
  readonly value: object;
  readonly handle: CheckpointStateHandle;
  checkpoint: Checkpoint | undefined;
  session: CheckpointSession | undefined;
  stateLoaded = false;

  constructor(type: CheckpointStateType, value: object) {
    this.type = type;
    this.value = value;
    this.handle = new StateHandle(this);
    handles.set(this.handle, this);
  }

  /** Ties the binding to a checkpoint, a session of it, or nothing. */
  attach(checkpoint: Checkpoint | undefined, session?: CheckpointSession, stateLoaded = false): void {
    this.checkpoint = checkpoint;
    this.session = session;
    this.stateLoaded = stateLoaded;
  }
}

const bindings = new WeakMap<object, StateBinding>();
const handles = new WeakMap<object, StateBinding>();

function readOnly(name: string, binding: StateBinding): never {
  throw new CheckpointBindingError(
    `${name} of state ${binding.type.id} is checkpoint metadata and is read-only.`,
    {
      stateId: binding.type.id,
    },
  );
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

class StateHandle implements CheckpointStateHandle {
  readonly #binding: StateBinding;

  constructor(binding: StateBinding) {
    this.#binding = binding;
    Object.freeze(this);
  }

  get value(): object {
    return this.#binding.value;
  }
  set value(_: object) {
    readOnly("value", this.#binding);
  }
  get stateId(): string {
    return this.#binding.type.id;
  }
  set stateId(_: string) {
    readOnly("stateId", this.#binding);
  }
  get checkpointEnabled(): boolean {
    return this.#binding.checkpoint !== undefined;
  }
  set checkpointEnabled(_: boolean) {
    readOnly("checkpointEnabled", this.#binding);
  }
  get checkpointLevel(): CheckpointLevel {
    return this.#binding.checkpoint?.level ?? 0;
  }
  set checkpointLevel(_: CheckpointLevel) {
    readOnly("checkpointLevel", this.#binding);
  }
  get device(): string {
    return this.#binding.checkpoint?.device ?? "cpu";
  }
  set device(_: string) {
    readOnly("device", this.#binding);
  }
  get checkpointFlushInterval(): number | null {
    return this.#binding.checkpoint?.flushInterval ?? null;
  }
  set checkpointFlushInterval(_: number | null) {
    readOnly("checkpointFlushInterval", this.#binding);
  }
  get checkpointWriteCount(): number {
    return this.#binding.session?.writeCount ?? 0;
  }
  set checkpointWriteCount(_: number) {
    readOnly("checkpointWriteCount", this.#binding);
  }
  get checkpointIsFlushDue(): boolean {
    const session = this.#binding.session;
    const interval = this.checkpointFlushInterval;
    if (session === undefined || interval === null) return false;
    return (session.writeCount + 1) % interval === 0;
  }
  set checkpointIsFlushDue(_: boolean) {
    readOnly("checkpointIsFlushDue", this.#binding);
  }
  get checkpointSelected(): boolean {
    return this.#binding.session?.exists ?? false;
  }
  set checkpointSelected(_: boolean) {
    readOnly("checkpointSelected", this.#binding);
  }
  get checkpointStateLoaded(): boolean {
    return this.#binding.stateLoaded;
  }
  set checkpointStateLoaded(_: boolean) {
    readOnly("checkpointStateLoaded", this.#binding);
  }
  get checkpointLeadTime(): unknown {
    return this.#binding.session?.leadTime;
  }
  set checkpointLeadTime(_: unknown) {
    readOnly("checkpointLeadTime", this.#binding);
  }
  get checkpointMetadata(): Readonly<Record<string, unknown>> {
    return this.#binding.session?.metadata ?? EMPTY;
  }
  set checkpointMetadata(_: Readonly<Record<string, unknown>>) {
    readOnly("checkpointMetadata", this.#binding);
  }
  get checkpointLabels(): Labels {
    return this.#binding.session?.labels ?? EMPTY;
  }
  set checkpointLabels(_: Labels) {
    readOnly("checkpointLabels", this.#binding);
  }
  get [Symbol.toStringTag](): string {
    return `CheckpointStateHandle ${this.#binding.type.id}`;
  }
}

/** Whether `value` looks like what `checkpointState(id, schema)` returns. */
export function isCheckpointStateType(value: unknown): value is CheckpointStateType {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof CheckpointStateType, unknown>>;
  return (
    typeof candidate.id === "string" &&
    typeof candidate.schemaHash === "string" &&
    typeof candidate.schema === "object" &&
    candidate.schema !== null &&
    typeof (candidate.schema as { safeParse?: unknown }).safeParse === "function"
  );
}

/** The binding of a handle, or `undefined` when `value` is not a handle. */
export function bindingOfHandle(value: unknown): StateBinding | undefined {
  return typeof value === "object" && value !== null ? handles.get(value) : undefined;
}

/**
 * The one binding of `value` (created on first use). Refuses what is not a declared state type, a
 * value that is not an object, and one object bound under two state types.
 */
export function bindingFor(type: unknown, value: unknown): StateBinding {
  if (!isCheckpointStateType(type))
    throw new CheckpointBindingError(
      "bindCheckpointState requires a state type declared with checkpointState(id, schema).",
    );
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value))
    throw new CheckpointBindingError(
      `The value bound as state ${type.id} must be an object with the state's fields.`,
      {
        stateId: type.id,
      },
    );
  if (handles.has(value))
    throw new CheckpointBindingError(
      `State ${type.id}: pass the live object (handle.value) or the handle alone, not a handle as the value.`,
      { stateId: type.id },
    );
  const existing = bindings.get(value);
  if (existing !== undefined) {
    if (existing.type.id !== type.id)
      throw new CheckpointBindingError(
        `This object is already bound as state ${existing.type.id}; it cannot also be state ${type.id}.`,
        { stateId: type.id },
      );
    return existing;
  }
  const binding = new StateBinding(type, value);
  bindings.set(value, binding);
  return binding;
}

/**
 * Binds `binding` where the current context says: the active session; else, when no session runs
 * anywhere, the newest checkpoint's queue (adopted when a session starts). Outside every session
 * while one runs elsewhere the target is ambiguous (that session adopted its states when it
 * started), so that is a `CheckpointBindingError`.
 */
export function bindInContext(binding: StateBinding): CheckpointStateHandle {
  const session = activeSession();
  if (session !== undefined) return session[attachBinding](binding);
  // Already bound to a session (one used without entering it, or one running elsewhere): it saves it.
  if (binding.session !== undefined) return binding.handle;
  const elsewhere = runningSession();
  if (elsewhere !== undefined)
    throw new CheckpointBindingError(
      `State ${binding.type.id} was bound outside checkpoint.run(...) while a session of checkpoint "${elsewhere.checkpoint.name}" runs in another async context, so no session would save it. Bind it inside run() (bindCheckpointState in the function run calls) or on the session (session.bind(...)).`,
      { stateId: binding.type.id },
    );
  const checkpoint = currentCheckpoint();
  if (checkpoint !== undefined) return addPending(checkpoint, binding);
  return binding.handle;
}

/**
 * Binds a live state object to checkpointing and returns its handle.
 *
 * - Inside `checkpoint.run(fn)`: bound to that session, and restored from its row at once (level > 0).
 * - Outside any session, once a checkpoint was constructed: kept for the most recently constructed
 *   checkpoint and adopted (restored) when its next session starts; a warning says when that
 *   restores an existing row late. When that checkpoint starts no session (say it is only read
 *   from), the next session of an older checkpoint adopts the state instead, with a warning.
 * - Outside any session while a session runs in another async context: `CheckpointBindingError`.
 * - Outside any checkpoint: an unbound handle whose properties report "not enabled".
 *
 * Binding the same object again returns the same handle; a different object with the same state
 * id in one session is `CheckpointStateCollisionError`.
 *
 * @example
 * const RngState = checkpointState("demo.RngState", z.object({ seed: z.number(), counter: z.number() }));
 * await checkpoint.run(async (session) => {
 *   const rng = bindCheckpointState(RngState, { seed: 1, counter: 0 }); // restored if saved
 *   rng.value.counter += 1;
 *   await session.write({ leadTime: 6 });
 * });
 */
export function bindCheckpointState<T extends CheckpointStateType>(
  type: T,
  initialValue: StateValue<T>,
): CheckpointStateHandle<StateValue<T>>;
/** Binds the state of an existing handle again, in the current context. */
export function bindCheckpointState<V extends object>(
  handle: CheckpointStateHandle<V>,
): CheckpointStateHandle<V>;
export function bindCheckpointState(typeOrHandle: unknown, initialValue?: unknown): CheckpointStateHandle {
  return bindInContext(resolveBinding(typeOrHandle, initialValue));
}

/** The binding named by `(type, initialValue)` or by a handle alone. */
export function resolveBinding(typeOrHandle: unknown, initialValue?: unknown): StateBinding {
  return initialValue === undefined
    ? (bindingOfHandle(typeOrHandle) ?? bindingFor(typeOrHandle, initialValue))
    : bindingFor(typeOrHandle, initialValue);
}
