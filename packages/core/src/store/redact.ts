/**
 * A service's error message made safe to show: URLs lose their query (signed URLs, upload
 * session ids), and anything shaped like an AWS access key id, a `Credential=`/`Signature=` pair
 * or a bearer token is replaced by `***`. Cut to 300 characters.
 *
 * @example
 * redactSecrets("denied for AKIAIOSFODNN7EXAMPLE"); // "denied for ***"
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"']*)[?#][^\s"']*/gi, "$1?***")
    .replace(/\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, "***")
    .replace(/\b(Credential|Signature|X-Amz-[A-Za-z-]+|access_token|token|key)=[^\s&,;"']+/gi, "$1=***")
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer ***")
    .slice(0, 300);
}
