/**
 * A tiny HTTP proxy on 127.0.0.1 in front of radosgw that fails chosen requests the way a real
 * network or server does: an error status before the request reaches the server (no effect), an
 * error status after the server applied it (effect, but the client sees a failure), or a dropped
 * connection after the server applied it. The SDK talks to it unchanged: SigV4 signs the Host
 * header the client sent, and the proxy forwards every header as it is.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The fault applied to it, if any. */
  readonly fault?: FaultAction["kind"];
}

export type FaultAction =
  /** Answer with `status` and an S3 error body; the server never sees the request. */
  | { kind: "status-before"; status: number; code: string }
  /** Forward, let the server apply it, then answer with `status` instead of the real response. */
  | { kind: "status-after"; status: number; code: string }
  /** Forward, let the server apply it, then drop the connection without an answer. */
  | { kind: "drop-response" }
  /** Forward, then answer with this status and body instead (e.g. a DeleteObjects result). */
  | { kind: "replace-response"; status: number; body: (upstream: string) => string };

export interface FaultRule {
  readonly match: (request: { method: string; path: string; headers: IncomingMessage["headers"] }) => boolean;
  readonly action: FaultAction;
  /** How many matching requests to fail (default 1; `Infinity` for all). */
  times?: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Every request seen since the last `reset`, in arrival order. */
  readonly requests: readonly SeenRequest[];
  arm(rule: FaultRule): void;
  reset(): void;
  close(): Promise<void>;
}

function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message><RequestId>proxy</RequestId></Error>`;
}

function sendError(res: ServerResponse, status: number, code: string): void {
  const body = errorXml(code);
  res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Starts a proxy to `target` (an http://host:port URL). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: FaultRule[] = [];
  const requests: SeenRequest[] = [];

  const server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const rule = rules.find(
      (candidate) => (candidate.times ?? 1) > 0 && candidate.match({ method, path, headers: req.headers }),
    );
    if (rule !== undefined) rule.times = (rule.times ?? 1) - 1;
    const action = rule?.action;
    requests.push({ method, path, headers: { ...req.headers }, ...(action ? { fault: action.kind } : {}) });

    if (action?.kind === "status-before") {
      req.resume();
      req.on("end", () => sendError(res, action.status, action.code));
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers },
      (answer) => {
        if (action === undefined) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          if (action.kind === "drop-response") res.socket?.destroy();
          else if (action.kind === "status-after") sendError(res, action.status, action.code);
          else {
            const body = action.body(Buffer.concat(chunks).toString("utf8"));
            res.writeHead(action.status, {
              "content-type": "application/xml",
              "content-length": Buffer.byteLength(body),
            });
            res.end(body);
          }
        });
      },
    );
    forward.on("error", () => res.socket?.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    arm: (rule) => rules.push(rule),
    reset: () => {
      rules.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Matches requests that put an object (not multipart parts) with the given condition header. */
export const conditionalPut =
  (header: "if-match" | "if-none-match") =>
  (request: { method: string; path: string; headers: IncomingMessage["headers"] }): boolean =>
    request.method === "PUT" && request.headers[header] !== undefined && !request.path.includes("uploadId=");
