export * from "./checksum.js";
export * from "./commit/index.js";
export * from "./errors.js";
export * from "./store/index.js";
