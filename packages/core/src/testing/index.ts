// The store conformance suite, the commit fault suite, and the store wrappers tests build on.

export { ForwardingStore, type StoreCall, type StoreOp } from "../store/forwarding-store.js";
export { type CommitFaultOptions, describeCommitProtocolFaults } from "./commit-faults.js";
export {
  describeStoreConformance,
  type StoreConformanceOptions,
  type StoreQuirks,
} from "./conformance/index.js";
export { describeEmptyArrayRestore, type EmptyArrayRestoreOptions } from "./empty-arrays.js";
export {
  type Fault,
  type FaultKind,
  FaultyStore,
  type FaultyStoreCall,
  type FaultyStoreOptions,
} from "./faulty-store.js";
export { describeReadOnlyReads, type ReadOnlyReadsOptions } from "./read-only-reads.js";
export { seededRandom } from "./seeded-random.js";
export { stepBarrier } from "./step-barrier.js";
export { describeWorldRestart, type WorldRestartOptions } from "./world-restart.js";
