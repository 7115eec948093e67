/**
 * `bridge invoke --via-api`: GET /data as a client would, signed with SigV4 from the caller's
 * credentials (service execute-api), or with the API key from --api-key-file.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import { UsageError } from '../errors.js';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The hash the signer asks for, from node:crypto (HMAC when given a secret). */
class NodeSha256 {
  #hash: Hash | Hmac;
  readonly #secret: string | Uint8Array | undefined;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytes(secret);
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#fresh();
  }
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
}

/** A signed GET for `url`: the headers to send with it, Authorization included. */
export async function signRequest(
  url: string,
  options: { region: string; service?: string; credentials: Credentials; signingDate?: Date },
): Promise<SignedRequest> {
  const target = new URL(url);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? 'execute-api',
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const query: Record<string, string> = {};
  target.searchParams.forEach((value, key) => (query[key] = value));
  const signed = await signer.sign(
    { method: 'GET', protocol: target.protocol, hostname: target.hostname, port: target.port ? Number(target.port) : undefined, path: target.pathname, query, headers: { host: target.host } },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return { url, headers: signed.headers as Record<string, string> };
}

export interface ApiResponse {
  status: number;
  latencyMs: number;
  contentType: string;
  body: string;
}

export function readApiKeyFile(path: string): string {
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
  } catch {
    throw new UsageError(`--api-key-file ${path} cannot be read: give the file setup wrote with --api-key-file`);
  }
  if (!value) throw new UsageError(`--api-key-file ${path} is empty: run setup with --api-auth api-key --api-key-file ${path}`);
  return value;
}

export async function callApi(request: SignedRequest): Promise<ApiResponse> {
  const started = Date.now();
  const response = await fetch(request.url, { headers: request.headers, signal: AbortSignal.timeout(35_000) });
  const body = await response.text();
  return { status: response.status, latencyMs: Date.now() - started, contentType: response.headers.get('content-type') ?? '', body };
}
