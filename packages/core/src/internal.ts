// Symbol-keyed members kept out of the public API (symbols keep them out of completion lists and
// JSON): the state-binding module binds a state into a session through this one.

/** `CheckpointSession[attachBinding](binding)`: binds (and restores) a state in the session. */
export const attachBinding: unique symbol = Symbol("ckpt.attachBinding");
