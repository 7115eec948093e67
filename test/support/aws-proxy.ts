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
import { isMutatingCommand } from '../../src/aws.js';

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
  /** The SigV4 service name, or '*' for every service. */
  service: string;
  operation: string | RegExp;
  /** Further condition on the request (a body holding Tags, say). */
  when?: (request: ProxyRequest) => boolean | Promise<boolean>;
  /** How many matching requests it answers; then it stands aside (default: all). */
  times?: number;
  /** The answer; `forward` gets moto's, to return changed or as it is. */
  respond: (request: ProxyRequest, forward: () => Promise<ProxyResponse>) => ProxyResponse | Promise<ProxyResponse>;
}

/** A steady share of faults before any rule or moto answers (the request never reaches moto). */
export interface FaultPlan {
  /** Share of requests answered with a fault, 0..1. */
  share: number;
  /** Which faults, drawn in turn; default every kind. */
  kinds?: FaultKind[];
  /** Seed for the draw, so a failing run can be replayed. */
  seed?: number;
  /** Leave these alone (`service:operation`), e.g. the test's own reads. */
  spare?: (request: ProxyRequest) => boolean;
}

/**
 * The answers AWS gives under load, in each protocol's shape: throttling by its per-service name
 * (ThrottlingException, Throttling, SlowDown, TooManyRequestsException), 429, 500, 503, a
 * connection dropped without an answer, and latency (an answer, late).
 */
export type FaultKind = 'throttling' | '429' | '500' | '503' | 'drop' | 'latency';
export const FAULT_KINDS: FaultKind[] = ['throttling', '429', '500', '503', 'drop', 'latency'];

export interface AwsProxy {
  endpoint: string;
  /** Every request seen, as `service:operation`, answered by a rule or not. */
  seen: string[];
  /** The same requests, whole (bodies included), for tests that check what bridge sent. */
  requests: ProxyRequest[];
  /** How many requests each rule answered, in the order given. */
  answered: number[];
  rules: ProxyRule[];
  /** Set to inject faults from now on; null stops them. */
  faults: FaultPlan | null;
  /** Faults injected, as `kind service:operation`. */
  injected: string[];
  /** Resolves once no request is being answered (a killed client's last requests have landed). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so fault runs replay. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throttling as each service names it, in its protocol's shape. */
function throttlingFor(service: string): ProxyResponse {
  switch (service) {
    case 'iam':
    case 'sts':
      return awsError.query(400, 'Throttling', 'Rate exceeded');
    case 's3':
      return awsError.s3(503, 'SlowDown', 'Please reduce your request rate.');
    case 'lambda':
      return awsError.restJson(429, 'TooManyRequestsException', 'Rate exceeded');
    case 'apigateway':
      return awsError.restJson(429, 'TooManyRequestsException', 'Too Many Requests');
    default:
      return awsError.json(400, 'ThrottlingException', 'Rate exceeded');
  }
}

function serverErrorFor(service: string, status: number): ProxyResponse {
  const code = status === 503 ? 'ServiceUnavailable' : 'InternalFailure';
  const message = status === 503 ? 'Service is unavailable. Please try again.' : 'An internal error occurred.';
  if (service === 'iam' || service === 'sts') return { ...awsError.query(status, code, message), status };
  if (service === 's3') return awsError.s3(status, status === 503 ? 'ServiceUnavailable' : 'InternalError', message);
  if (service === 'lambda' || service === 'apigateway') return awsError.restJson(status, status === 503 ? 'ServiceException' : 'InternalFailure', message);
  return awsError.json(status, status === 503 ? 'ServiceUnavailableException' : 'InternalFailure', message);
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
  const requests: ProxyRequest[] = [];
  const answered = rules.map(() => 0);
  const injected: string[] = [];
  let inFlight = 0;
  const proxy: Partial<AwsProxy> = { seen, requests, answered, rules, faults: null, injected };
  let lastRequestAt = 0;
  // Quiet for 150 ms with nothing open: bytes a killed client had written reach the proxy within that.
  proxy.idle = async () => {
    while (inFlight > 0 || Date.now() - lastRequestAt < 150) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  let draw: { plan: FaultPlan; random: () => number; turn: number } | null = null;
  /** The fault for this request, if the plan draws one. */
  const faultFor = (request: ProxyRequest): FaultKind | null => {
    const plan = proxy.faults;
    if (!plan || plan.share <= 0) return null;
    if (!draw || draw.plan !== plan) draw = { plan, random: seeded(plan.seed ?? 1), turn: 0 };
    if (plan.spare?.(request) || draw.random() >= plan.share) return null;
    const kinds = plan.kinds ?? FAULT_KINDS;
    return kinds[draw.turn++ % kinds.length] as FaultKind;
  };
  const server: Server = createServer((req, res) => {
    // Counted from the first byte, not the last: a request still arriving is in flight too. It stays
    // in flight until its answer from moto is in, even when its client is gone (killed): moto may
    // still be making the change.
    inFlight++;
    lastRequestAt = Date.now();
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      inFlight--;
      lastRequestAt = Date.now();
    };
    let complete = false;
    // A request cut off before its last byte never reaches moto.
    req.on('close', () => {
      if (!complete) settle();
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void answer().finally(settle));
    const answer = async () => {
      complete = true;
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const request: ProxyRequest = { method, url, headers: req.headers, body, service: serviceOf(req.headers), operation: operationOf(method, url, req.headers, body) };
      seen.push(`${request.service}:${request.operation}`);
      requests.push(request);
      const forward = () => forwardTo(upstream, method, url, req.headers, raw);
      const fault = faultFor(request);
      if (fault) {
        injected.push(`${fault} ${request.service}:${request.operation}`);
        if (fault === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault !== 'latency') {
          const response = fault === 'throttling' ? throttlingFor(request.service) : fault === '429' ? { ...throttlingFor(request.service), status: 429 } : serverErrorFor(request.service, Number(fault));
          res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
          res.end(response.body);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      try {
        let response: ProxyResponse | undefined;
        for (const [index, rule] of (proxy.rules as ProxyRule[]).entries()) {
          if (rule.service !== '*' && rule.service !== request.service) continue;
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
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`bridge test proxy: ${(error as Error).message}`);
      }
    };
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

/** A request that changes something: by name for JSON and query protocols, by method for REST ones. */
export function isMutatingRequest(request: Pick<ProxyRequest, 'operation'>): boolean {
  const rest = /^([A-Z]+) /.exec(request.operation)?.[1];
  return rest ? !['GET', 'HEAD'].includes(rest) : isMutatingCommand(request.operation);
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
