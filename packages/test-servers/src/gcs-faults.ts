// TEST FIXTURE support: fault injection for the fake Cloud Storage. Tests arm faults either
// in-process (`server.faults.add(...)`) or over HTTP (`POST /__fixture/faults`), so a server started
// by vitest's globalSetup can be driven from the test workers.

/** What a request does, in the reference's method names. */
export type GcsOperation =
  | "buckets.get"
  | "buckets.insert"
  | "objects.get"
  | "objects.media"
  | "objects.list"
  | "objects.delete"
  | "objects.insert" // uploadType=media or multipart
  | "resumable.start" // uploadType=resumable, the POST that creates the session
  | "resumable.put"; // a PUT to the session URI (chunk, final chunk or status query)

/** Which requests a fault applies to; every given field must match. */
export interface FaultFilter {
  readonly operation?: GcsOperation | undefined;
  readonly bucket?: string | undefined;
  /** The object name starts with this. */
  readonly objectPrefix?: string | undefined;
  /** Only requests that finish an object (a simple upload, or the last resumable PUT). */
  readonly finalizing?: boolean | undefined;
}

/**
 * - `drop-response`: the request takes effect, then the socket is destroyed instead of answering
 *   (a write whose outcome the client cannot know).
 * - `drop-request`: the socket is destroyed before the request has any effect.
 * - `status`: answered with this status and a JSON API error body, without any effect.
 */
export type FaultAction = "drop-response" | "drop-request" | { readonly status: number };

export interface FaultSpec {
  readonly filter?: FaultFilter | undefined;
  readonly action: FaultAction;
  /** How many matching requests it hits (default 1). */
  readonly times?: number | undefined;
}

export interface FiredFault {
  readonly operation: GcsOperation;
  readonly bucket: string | undefined;
  readonly object: string | undefined;
  readonly action: FaultAction;
}

export interface RequestFacts {
  readonly operation: GcsOperation;
  readonly bucket: string | undefined;
  readonly object: string | undefined;
  readonly finalizing: boolean;
}

/** The armed faults and the log of those that fired. */
export class FaultController {
  #armed: { spec: FaultSpec; left: number }[] = [];
  readonly fired: FiredFault[] = [];

  add(spec: FaultSpec): void {
    this.#armed.push({ spec, left: spec.times ?? 1 });
  }

  clear(): void {
    this.#armed = [];
    this.fired.length = 0;
  }

  /** The action for this request, consuming one use of the first fault that matches. */
  take(facts: RequestFacts): FaultAction | undefined {
    for (const armed of this.#armed) {
      if (armed.left <= 0 || !matches(armed.spec.filter, facts)) continue;
      armed.left--;
      this.fired.push({
        operation: facts.operation,
        bucket: facts.bucket,
        object: facts.object,
        action: armed.spec.action,
      });
      return armed.spec.action;
    }
    return undefined;
  }
}

function matches(filter: FaultFilter | undefined, facts: RequestFacts): boolean {
  if (filter === undefined) return true;
  if (filter.operation !== undefined && filter.operation !== facts.operation) return false;
  if (filter.bucket !== undefined && filter.bucket !== facts.bucket) return false;
  if (filter.objectPrefix !== undefined && !(facts.object ?? "").startsWith(filter.objectPrefix))
    return false;
  if (filter.finalizing !== undefined && filter.finalizing !== facts.finalizing) return false;
  return true;
}
