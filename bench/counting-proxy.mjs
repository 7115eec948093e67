// A loopback proxy in front of the local AWS that counts what reaches the endpoint: each request
// as service:operation, read or mutating. The benchmark's call counts come from here, not from
// bridge's own --verbose log, so they hold for the baseline script too.
import { createServer, request as httpRequest } from 'node:http';

const READ_PREFIX = /^(Get|List|Describe|Head|Simulate|Check|Lookup|Search|Select|Query|Scan|Batch[GD]et)/;

function serviceOf(headers) {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''))?.[1] ?? 'unsigned';
}

/** JSON protocols name the operation in X-Amz-Target, query protocols in Action=; REST ones only by method and path. */
function classify(method, url, headers, body) {
  const target = headers['x-amz-target'];
  const action = typeof target === 'string' ? target.split('.').pop() : /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  if (action) return { operation: action, mutating: !READ_PREFIX.test(action) };
  const path = url.split('?')[0];
  return { operation: `${method} ${path}`, mutating: !(method === 'GET' || method === 'HEAD') };
}

export async function startCountingProxy(target, { record = false } = {}) {
  const recorded = [];
  const upstream = new URL(target);
  const counts = { reads: 0, mutating: 0, byOperation: new Map() };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { operation, mutating } = classify(req.method, req.url, req.headers, body.toString('latin1'));
      const key = `${serviceOf(req.headers)}:${operation}`;
      counts[mutating ? 'mutating' : 'reads']++;
      counts.byOperation.set(key, (counts.byOperation.get(key) ?? 0) + 1);
      if (record && mutating) recorded.push({ key, url: req.url, body: body.toString('utf8') });
      const outgoing = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      outgoing.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      outgoing.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    /** What reached the endpoint since the last take, and starts counting afresh. */
    take() {
      const taken = { reads: counts.reads, mutating: counts.mutating, byOperation: Object.fromEntries(counts.byOperation) };
      counts.reads = 0;
      counts.mutating = 0;
      counts.byOperation = new Map();
      return taken;
    },
    recorded,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
