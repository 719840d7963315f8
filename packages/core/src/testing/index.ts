// The store conformance suite, the commit fault suite and the fault-injecting store wrapper.

export { type CommitFaultOptions, describeCommitProtocolFaults } from "./commit-faults.js";
export {
  describeStoreConformance,
  type StoreConformanceOptions,
  type StoreQuirks,
} from "./conformance/index.js";
export {
  type Fault,
  type FaultKind,
  FaultyStore,
  type FaultyStoreCall,
  type FaultyStoreOptions,
  type StoreOp,
} from "./faulty-store.js";
