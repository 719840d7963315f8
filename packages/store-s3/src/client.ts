import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

/** The AWS SDK's documented switch for its warning that its releases after January 2027 need Node 22. */
export const NODE_WARNING_VARIABLE = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/**
 * The client a store makes when it is given none. The SDK prints an 8-line Node-version warning
 * on stderr when a client is made on Node 20; a library must not print, so the warning is switched
 * off for this construction (the SDK checks the variable only then), unless the variable is set
 * in the environment, whose value then decides.
 */
export function createClient(config: S3ClientConfig | undefined): S3Client {
  const decided = process.env[NODE_WARNING_VARIABLE] !== undefined;
  if (!decided) process.env[NODE_WARNING_VARIABLE] = "true";
  try {
    return new S3Client(config ?? {});
  } finally {
    if (!decided) delete process.env[NODE_WARNING_VARIABLE];
  }
}
