// The one package an application installs: the whole public API of @ckpt/core, with the folder and
// in-memory store (@ckpt/store-fs) registered, so the default store `~/.cache/ckpt/checkpoints`
// opens without another install. Cloud stores stay optional: `openStore("s3://…")` loads
// @ckpt/store-s3 when it is installed beside this package.
export * from "@ckpt/core";
export * from "@ckpt/store-fs";
