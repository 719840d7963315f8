// TEST FIXTURE support: the multipart/related body of `uploadType=multipart` (metadata part, then media).
import { invalid } from "./gcs-errors.js";

/** Splits a multipart/related upload into its JSON metadata and its media bytes. */
export function parseMultipartRelated(
  contentType: string | undefined,
  body: Buffer,
): { metadata: Record<string, unknown>; media: Buffer; mediaType: string | undefined } {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  const boundary = match?.[1] ?? match?.[2];
  if (!contentType?.toLowerCase().startsWith("multipart/related") || boundary === undefined)
    throw invalid("Multipart upload needs Content-Type multipart/related with a boundary.");
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: string; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const after = start + delimiter.length;
    if (body.subarray(after, after + 2).toString() === "--") break; // closing delimiter
    const headersEnd = body.indexOf("\r\n\r\n", after);
    if (headersEnd === -1) throw invalid("Malformed multipart body: part headers not terminated.");
    const headers = body.subarray(after, headersEnd).toString("utf8");
    // The media part may contain anything, so the last part ends at the closing delimiter.
    const closing = Buffer.from(`\r\n--${boundary}--`);
    let next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (parts.length === 1) next = body.lastIndexOf(closing);
    if (next === -1) throw invalid("Malformed multipart body: missing closing delimiter.");
    parts.push({ headers, body: body.subarray(headersEnd + 4, next) });
    start = next + 2;
  }
  if (parts.length !== 2) throw invalid(`Multipart upload must have 2 parts, found ${parts.length}.`);
  const [metaPart, mediaPart] = parts as [(typeof parts)[0], (typeof parts)[0]];
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(metaPart.body.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw invalid("Multipart metadata part is not valid JSON.");
  }
  const mediaType = /content-type:\s*([^\r\n]+)/i.exec(mediaPart.headers)?.[1]?.trim();
  return { metadata, media: mediaPart.body, mediaType };
}
