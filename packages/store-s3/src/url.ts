import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { redactUrl, StoreConfigError } from "@ckpt/core";
import type { IfMatchQuoting, S3StoreOptions } from "./options.js";

/** Query parameters an `s3://` URL may carry. */
const PARAMETERS = [
  "region",
  "endpoint",
  "forcePathStyle",
  "multipartThreshold",
  "partSize",
  "partConcurrency",
  "ifMatch",
] as const;

/** The URL without user info and query, which may hold secrets (even inside `endpoint=`). */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return redactUrl(url).replace(/\?.*$/, "");
  }
}

function fail(url: string, reason: string): never {
  throw new StoreConfigError(`Invalid S3 store URL ${JSON.stringify(shown(url))}: ${reason}`);
}

function integer(url: string, name: string, text: string): number {
  if (!/^\d+$/.test(text)) fail(url, `"${name}" must be a whole number of bytes or a count`);
  return Number(text);
}

/**
 * Splits `s3://bucket/prefix?region=…&endpoint=…&forcePathStyle=true` into store options and
 * client options. Credentials in the URL are refused (they would end up in logs); the SDK's
 * default chain supplies them. A custom `endpoint` without a `region` gets `us-east-1`, which
 * S3-compatible servers accept.
 */
export function parseS3Url(location: string | URL): {
  options: Omit<S3StoreOptions, "client" | "clientConfig">;
  clientConfig: S3ClientConfig;
} {
  const text = typeof location === "string" ? location : location.href;
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new StoreConfigError(`Malformed S3 store URL ${JSON.stringify(shown(text))}`, { cause });
  }
  if (url.protocol !== "s3:") fail(text, 'the scheme must be "s3:"');
  if (url.username !== "" || url.password !== "")
    fail(
      text,
      "credentials do not belong in the URL; use the AWS SDK's credential chain (environment, profile, role)",
    );
  if (url.hostname === "") fail(text, "the bucket is missing (s3://bucket/prefix)");
  if (url.port !== "") fail(text, "an s3:// URL names a bucket, not a host: put the server in ?endpoint=");
  for (const name of url.searchParams.keys())
    if (!(PARAMETERS as readonly string[]).includes(name))
      fail(text, `unknown parameter "${name}"; known: ${PARAMETERS.join(", ")}`);
  const get = (name: (typeof PARAMETERS)[number]) => url.searchParams.get(name) ?? undefined;

  const clientConfig: S3ClientConfig = {};
  const endpoint = get("endpoint");
  if (endpoint !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      fail(text, '"endpoint" must be an http(s) URL such as http://127.0.0.1:7480');
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      fail(text, '"endpoint" must be an http(s) URL such as http://127.0.0.1:7480');
    if (parsed.username !== "" || parsed.password !== "") fail(text, '"endpoint" must not carry credentials');
    clientConfig.endpoint = endpoint;
  }
  const region = get("region") ?? (endpoint === undefined ? undefined : "us-east-1");
  if (region !== undefined) clientConfig.region = region;
  const pathStyle = get("forcePathStyle");
  if (pathStyle !== undefined) {
    if (pathStyle !== "true" && pathStyle !== "false") fail(text, '"forcePathStyle" must be true or false');
    clientConfig.forcePathStyle = pathStyle === "true";
  }

  const options: {
    -readonly [K in keyof Omit<S3StoreOptions, "client" | "clientConfig">]: S3StoreOptions[K];
  } = {
    bucket: decodeURIComponent(url.hostname),
    prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, ""),
  };
  const threshold = get("multipartThreshold");
  if (threshold !== undefined) options.multipartThreshold = integer(text, "multipartThreshold", threshold);
  const partSize = get("partSize");
  if (partSize !== undefined) options.partSize = integer(text, "partSize", partSize);
  const concurrency = get("partConcurrency");
  if (concurrency !== undefined) options.partConcurrency = integer(text, "partConcurrency", concurrency);
  const quoting = get("ifMatch");
  if (quoting !== undefined) {
    if (quoting !== "auto" && quoting !== "quoted" && quoting !== "unquoted")
      fail(text, '"ifMatch" must be auto, quoted or unquoted');
    options.ifMatchQuoting = quoting satisfies IfMatchQuoting;
  }
  return { options, clientConfig };
}
