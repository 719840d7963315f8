// `ckpt/testing`: the store conformance suite, `FaultyStore` and the commit fault suite of
// @ckpt/core/testing (needs vitest), for people writing a store of their own.
export * from "@ckpt/core/testing";
