// TEST FIXTURE support: drives a GcsTestServer in another process (vitest's globalSetup) over its
// /__fixture endpoints.
import type { FaultSpec, FiredFault } from "./gcs-faults.js";
import type { RequestRecord } from "./gcs-server.js";

export class FixtureClient {
  constructor(readonly url: string) {}

  async injectFault(spec: FaultSpec): Promise<void> {
    await this.#call("POST", "/__fixture/faults", spec);
  }

  async clearFaults(): Promise<void> {
    await this.#call("DELETE", "/__fixture/faults");
  }

  async firedFaults(): Promise<FiredFault[]> {
    return ((await this.#call("GET", "/__fixture/faults")) as { fired: FiredFault[] }).fired;
  }

  async requests(bucket: string): Promise<RequestRecord[]> {
    const path = `/__fixture/requests?bucket=${encodeURIComponent(bucket)}`;
    return ((await this.#call("GET", path)) as { requests: RequestRecord[] }).requests;
  }

  /** Creates a bucket through the JSON API (buckets.insert). */
  async createBucket(name: string): Promise<void> {
    const response = await fetch(`${this.url}/storage/v1/b?project=test`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (response.status !== 200 && response.status !== 409)
      throw new Error(`buckets.insert ${name}: ${response.status} ${await response.text()}`);
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }
}
