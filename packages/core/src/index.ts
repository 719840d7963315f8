export {
  bindCheckpointState,
  type CheckpointStateHandle,
  isCheckpointStateType,
  type StateValue,
} from "./binding.js";
export {
  Checkpoint,
  type OpenOptions,
  type RowSelector,
  type RunOptions,
  type SelectOptions,
  type StepOptions,
  type VerifyMode,
} from "./checkpoint.js";
export * from "./checksum.js";
export * from "./codec/index.js";
export * from "./commit/index.js";
export { DIGEST_ALGORITHM, DIGEST_IMPLEMENTATION } from "./digest.js";
export { durationMs } from "./duration.js";
export { CheckpointEntry } from "./entry.js";
export * from "./errors.js";
export {
  type CatalogHeader,
  type CatalogTableRow,
  displayValue,
  formatCatalog,
  formatDuration,
} from "./format.js";
export {
  CATALOG_NAME,
  COMMITS_FOLDER,
  catalogKey,
  checkpointRoot,
  commitFolder,
  commitsPrefix,
  type LayoutKey,
  MANIFEST_NAME,
  manifestKey,
  parseLayoutKey,
  rankFolderName,
} from "./layout.js";
export { CHECKPOINT_LIMITS } from "./limits.js";
export type { MetadataInput } from "./metadata.js";
export { NullCheckpoint } from "./null-checkpoint.js";
export {
  type CheckpointLevel,
  type CheckpointMode,
  type CheckpointOptions,
  type RestartMode,
  validateCheckpointName,
} from "./options.js";
export {
  DEFAULT_PREEMPTION_DEADLINE,
  PREEMPTION_SIGNALS,
  type PreemptionOptions,
  type PreemptionSignal,
} from "./preemption.js";
export {
  detectRank,
  RANK_VARIABLES,
  type RankCoupling,
  type RankInfo,
  type RankVariable,
  rankRoot,
  resolveRank,
} from "./ranks.js";
export { checkDecodable, type SavedState, savedStates, verifyRow } from "./restore-check.js";
export { CheckpointSession, type CommitCallOptions, type LoadedState } from "./session.js";
export * from "./state/index.js";
export * from "./store/index.js";
export {
  chooseWorldBoundary,
  type MarkedBoundary,
  type ReadWorldOptions,
  readWorld,
  type WorldBoundary,
  type WorldRank,
  type WorldView,
  worldBoundaries,
} from "./world.js";
