// The servers themselves, usable anywhere (tests, benchmarks, scripts). What the vitest global
// setups hand to tests is read through "@ckpt/test-servers/vitest".

export { type ChildOutput, collectOutput } from "./child-output.js";
export { Crc32c } from "./crc32c.js";
export {
  conditionalPut,
  type FaultAction as ProxyFaultAction,
  type FaultProxy,
  type FaultRule as ProxyFaultRule,
  type SeenRequest,
  startFaultProxy,
} from "./fault-proxy.js";
export { FixtureClient } from "./fixture-client.js";
export type {
  FaultAction as GcsFaultAction,
  FaultFilter as GcsFaultFilter,
  FaultSpec as GcsFaultSpec,
  FiredFault as GcsFiredFault,
  GcsOperation,
} from "./gcs-faults.js";
export { GcsTestServer, RESUMABLE_QUANTUM, type RequestRecord } from "./gcs-server.js";
export { type GcsServerProcess, startGcsServerProcess } from "./gcs-server-process.js";
export {
  ensureRadosgwInstalled,
  type RadosgwInfo,
  type RadosgwServer,
  radosgwS3Config,
  startRadosgw,
} from "./radosgw.js";
