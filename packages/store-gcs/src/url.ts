import { redactUrl, StoreConfigError } from "@ckpt/core";
import type { StorageOptions } from "@google-cloud/storage";
import type { GcsStoreOptions } from "./options.js";

/**
 * Reads `gs://bucket/prefix?apiEndpoint=…&projectId=…&resumableThreshold=…&chunkSize=…` into
 * {@link GcsStoreOptions}. Credentials never come from the URL: the SDK finds them (ADC).
 */
export function parseGcsUrl(url: string | URL): GcsStoreOptions & { storageOptions: StorageOptions } {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch (cause) {
    throw new StoreConfigError(`Malformed Cloud Storage URL ${JSON.stringify(redactUrl(String(url)))}`, {
      cause,
    });
  }
  const shown = JSON.stringify(redactUrl(parsed.href));
  if (parsed.protocol !== "gs:") throw new StoreConfigError(`Not a gs:// URL: ${shown}`);
  if (parsed.username !== "" || parsed.password !== "")
    throw new StoreConfigError(`A gs:// URL must not carry credentials: ${shown}`);
  if (parsed.hostname === "")
    throw new StoreConfigError(`A gs:// URL needs a bucket, as in gs://bucket/prefix: ${shown}`);
  const storageOptions: StorageOptions = {};
  const options: { resumableThreshold?: number; chunkSize?: number } = {};
  for (const [name, value] of parsed.searchParams) {
    switch (name) {
      case "apiEndpoint":
        storageOptions.apiEndpoint = value;
        break;
      case "projectId":
        storageOptions.projectId = value;
        break;
      case "resumableThreshold":
      case "chunkSize":
        if (!/^\d+$/.test(value))
          throw new StoreConfigError(
            `Invalid ${name} ${JSON.stringify(value)} in ${shown}: must be a byte count`,
          );
        options[name] = Number(value);
        break;
      default:
        throw new StoreConfigError(
          `Unknown query parameter "${name}" in ${shown}; known: apiEndpoint, projectId, resumableThreshold, chunkSize`,
        );
    }
  }
  return {
    bucket: decodeURIComponent(parsed.hostname),
    prefix: decodeURIComponent(parsed.pathname.replace(/^\/+/, "")),
    storageOptions,
    ...options,
  };
}
