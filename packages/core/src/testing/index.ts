// The store conformance suite and the fault-injecting store wrapper live here (issue 2).

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
  type StoreOp,
} from "./faulty-store.js";
