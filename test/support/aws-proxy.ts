/**
 * A loopback proxy in front of the local AWS that answers chosen operations the way real AWS does
 * where moto does not: an error AWS documents (eventual consistency, a quota, a missing
 * permission), or a response AWS shapes differently (GetFunction without Tags). Everything else is
 * forwarded to moto unchanged. Tests point bridge at the proxy with --endpoint-url.
 *
 * Each rule names the AWS page or message it reproduces, in the test that uses it.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** From the SigV4 credential scope: 'kms', 'lambda', 'iam', 's3', ... */
  service: string;
  /** The operation for JSON (X-Amz-Target) and query (Action=) protocols, else 'METHOD /path'. */
  operation: string;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProxyRule {
  service: string;
  operation: string | RegExp;
  /** Further condition on the request (a body holding Tags, say). */
  when?: (request: ProxyRequest) => boolean | Promise<boolean>;
  /** How many matching requests it answers; then it stands aside (default: all). */
  times?: number;
  /** The answer; `forward` gets moto's, to return changed or as it is. */
  respond: (request: ProxyRequest, forward: () => Promise<ProxyResponse>) => ProxyResponse | Promise<ProxyResponse>;
}

export interface AwsProxy {
  endpoint: string;
  /** Every request seen, as `service:operation`, answered by a rule or not. */
  seen: string[];
  /** How many requests each rule answered, in the order given. */
  answered: number[];
  rules: ProxyRule[];
  close(): Promise<void>;
}

function serviceOf(headers: IncomingHttpHeaders): string {
  const auth = String(headers.authorization ?? '');
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1] ?? 'unknown';
}

function operationOf(method: string, url: string, headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() as string;
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  if (action) return action;
  return `${method} ${url.split('?')[0]}`;
}

function forwardTo(target: URL, method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, method, path: url, headers: { ...headers, host: target.host } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const out: Record<string, string> = {};
          for (const [key, value] of Object.entries(response.headers)) {
            if (value !== undefined && key !== 'content-length' && key !== 'transfer-encoding' && key !== 'connection') out[key] = String(value);
          }
          resolve({ status: response.statusCode ?? 502, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Starts the proxy on 127.0.0.1 in front of `target` (the local AWS's endpoint). */
export async function startAwsProxy(target: string, rules: ProxyRule[] = []): Promise<AwsProxy> {
  const upstream = new URL(target);
  const seen: string[] = [];
  const answered = rules.map(() => 0);
  const proxy: Partial<AwsProxy> = { seen, answered, rules };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const request: ProxyRequest = { method, url, headers: req.headers, body, service: serviceOf(req.headers), operation: operationOf(method, url, req.headers, body) };
      seen.push(`${request.service}:${request.operation}`);
      const forward = () => forwardTo(upstream, method, url, req.headers, raw);
      try {
        let response: ProxyResponse | undefined;
        for (const [index, rule] of (proxy.rules as ProxyRule[]).entries()) {
          if (rule.service !== request.service) continue;
          const matches = typeof rule.operation === 'string' ? rule.operation === request.operation : rule.operation.test(request.operation);
          if (!matches || (rule.times !== undefined && (answered[index] ?? 0) >= rule.times)) continue;
          if (rule.when && !(await rule.when(request))) continue;
          answered[index] = (answered[index] ?? 0) + 1;
          response = await rule.respond(request, forward);
          break;
        }
        response ??= await forward();
        res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
        res.end(response.body);
      } catch (error) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`bridge test proxy: ${(error as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxy.endpoint = `http://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy as AwsProxy;
}

/** AWS's error shapes, per protocol, as the SDK parses them. */
export const awsError = {
  /** awsJson1_1 (KMS, CloudWatch Logs, SSM, Resource Groups Tagging). */
  json(status: number, type: string, message: string): ProxyResponse {
    return { status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'proxy-request' }, body: JSON.stringify({ __type: type, message }) };
  },
  /** restJson1 (Lambda, API Gateway). */
  restJson(status: number, type: string, message: string): ProxyResponse {
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': 'proxy-request' },
      body: JSON.stringify({ Type: 'User', message }),
    };
  },
  /** awsQuery (IAM, STS). */
  query(status: number, code: string, message: string): ProxyResponse {
    return {
      status,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>proxy-request</RequestId></ErrorResponse>`,
    };
  },
  /** restXml (S3). */
  s3(status: number, code: string, message: string): ProxyResponse {
    return {
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>proxy-request</RequestId></Error>`,
    };
  },
};
