// TEST FIXTURE support: the JSON resources of the Cloud Storage JSON API (storage#object,
// storage#bucket, storage#objects). int64 fields are strings, as in the reference.
import type { BucketState, StoredObject } from "./gcs-state.js";

export function objectResource(base: string, object: StoredObject): Record<string, unknown> {
  const encoded = encodeURIComponent(object.name);
  const time = object.timeCreated.toISOString();
  return {
    kind: "storage#object",
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${base}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${base}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: "STANDARD",
    size: String(object.size),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString("base64"),
    timeCreated: time,
    updated: time,
    timeStorageClassUpdated: time,
    ...(object.metadata === undefined ? {} : { metadata: object.metadata }),
  };
}

export function bucketResource(base: string, bucket: BucketState): Record<string, unknown> {
  const time = bucket.timeCreated.toISOString();
  return {
    kind: "storage#bucket",
    id: bucket.name,
    selfLink: `${base}/storage/v1/b/${bucket.name}`,
    projectNumber: "0",
    name: bucket.name,
    timeCreated: time,
    updated: time,
    metageneration: "1",
    location: "US",
    locationType: "multi-region",
    storageClass: "STANDARD",
    etag: "CAE=",
  };
}

/** Cloud Storage orders names by their UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
