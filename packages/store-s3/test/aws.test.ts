import { randomUUID } from "node:crypto";
import { describeCommitProtocolFaults, describeStoreConformance } from "@ckpt/core/testing";
import { describe, it } from "vitest";
import { S3Store } from "../src/index.js";
import { emptyStore } from "./support/stores.js";

// Opt-in: the same suites against a real bucket, e.g.
//   CKPT_TEST_S3_URL="s3://my-bucket/ckpt-tests?region=eu-west-1" AWS_PROFILE=dev npx vitest run --project store-s3
// Credentials come from the SDK's default chain; without them (or without the URL) this is skipped.
const url = process.env.CKPT_TEST_S3_URL?.trim() ?? "";
const credentials = [
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
].some((name) => (process.env[name] ?? "") !== "");
const enabled = url !== "" && credentials;

/** A store under a fresh prefix below the URL's own prefix. */
function freshStore(label: string): S3Store {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/${label}/${randomUUID()}`;
  return S3Store.fromUrl(parsed.href);
}

describe.skipIf(!enabled)("real AWS S3 at CKPT_TEST_S3_URL", () => {
  describeStoreConformance({
    name: "S3Store on AWS",
    create: async () => freshStore("conformance"),
    destroy: async (store) => emptyStore(store as S3Store),
    // S3's ETag is the MD5 of the bytes: identical bytes keep the version.
    quirks: { contentHashVersions: true },
  });
  describeCommitProtocolFaults({
    name: "S3Store on AWS",
    create: async () => freshStore("commit-faults"),
    destroy: async (store) => emptyStore(store as S3Store),
  });
});

describe.runIf(!enabled)("real AWS S3", () => {
  it.skip(
    url === ""
      ? "skipped: set CKPT_TEST_S3_URL=s3://bucket/prefix?region=… and AWS credentials to run the suites against AWS"
      : "skipped: CKPT_TEST_S3_URL is set but no AWS credentials were found in the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, …)",
    () => {},
  );
});
