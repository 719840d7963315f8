// The store conformance suite and the fault-injecting store wrapper live here (issue 2).
export {};
