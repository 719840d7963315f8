export type { ArraySchemaInfo, NdArray } from "./arrays.js";
export { ndArray, typedArray } from "./arrays.js";
export { encodeState, restoreState, STATE_FORMAT } from "./codec.js";
export type { CheckpointStateOptions, CheckpointStateType, StateMigration } from "./declare.js";
export { checkpointState, schemaHash } from "./declare.js";
export { describeSchema } from "./describe.js";
