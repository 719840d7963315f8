// Symbol-keyed members kept out of the public API (symbols keep them out of completion lists and
// JSON). A session gets its catalog client and warning sink when it is constructed, so only the
// state-binding module still calls into a session; the Checkpoint members are used by checkpoint.ts
// alone and can become private fields.

/** `CheckpointSession[attachBinding](binding)`: binds (and restores) a state in the session. */
export const attachBinding: unique symbol = Symbol("ckpt.attachBinding");
/** `Checkpoint[catalogClient]()`: the checkpoint's `CatalogClient`, created with the store on first use. */
export const catalogClient: unique symbol = Symbol("ckpt.catalogClient");
/** `Checkpoint[emitWarning](message)`: the checkpoint's warning sink. */
export const emitWarning: unique symbol = Symbol("ckpt.emitWarning");
/** `Checkpoint[settleCleanup]()`: waits for background deletions of retired commits (never rejects). */
export const settleCleanup: unique symbol = Symbol("ckpt.settleCleanup");
