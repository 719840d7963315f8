// TEST FIXTURE support: Cloud Storage JSON API error bodies, shaped like the reference
// ("HTTP status and error codes for JSON"): { error: { code, message, errors: [{ domain, reason, message }] } }.

/** An error the fixture answers with. */
export class GcsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extra: { locationType?: string; location?: string } = {},
  ) {
    super(message);
  }

  /** The JSON API error document. */
  body(): { error: { code: number; message: string; errors: Record<string, string>[] } } {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: "global", reason: this.reason, ...this.extra }],
      },
    };
  }
}

export const conditionNotMet = (): GcsHttpError =>
  new GcsHttpError(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.", {
    locationType: "header",
    location: "If-Match",
  });

export const noSuchObject = (bucket: string, name: string): GcsHttpError =>
  new GcsHttpError(404, "notFound", `No such object: ${bucket}/${name}`);

export const noSuchBucket = (): GcsHttpError =>
  new GcsHttpError(404, "notFound", "The specified bucket does not exist.");

export const invalid = (message: string): GcsHttpError => new GcsHttpError(400, "invalid", message);

export const required = (message: string): GcsHttpError => new GcsHttpError(400, "required", message);

export const backendError = (status: number): GcsHttpError =>
  new GcsHttpError(status, "backendError", "We encountered an internal error. Please try again.");
