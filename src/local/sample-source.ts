/**
 * A sample source API on loopback for tests and the demo: a realistic OpenWeatherMap
 * current-weather answer, and the ways a real source fails. Checks the key arrived as configured,
 * and records only whether it did (never the key).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { KeyPlacement } from '../config.js';

/** OpenWeatherMap's /data/2.5/weather response, with its real field names. */
export const CURRENT_WEATHER_LONDON = {
  coord: { lon: -0.1257, lat: 51.5085 },
  weather: [{ id: 803, main: 'Clouds', description: 'broken clouds', icon: '04d' }],
  base: 'stations',
  main: { temp: 282.55, feels_like: 280.38, temp_min: 281.48, temp_max: 283.71, pressure: 1012, humidity: 81, sea_level: 1012, grnd_level: 1008 },
  visibility: 10000,
  wind: { speed: 4.12, deg: 240, gust: 7.2 },
  clouds: { all: 75 },
  dt: 1795856400,
  sys: { type: 2, id: 2075535, country: 'GB', sunrise: 1795852270, sunset: 1795881893 },
  timezone: 0,
  id: 2643743,
  name: 'London',
  cod: 200,
};

export interface RecordedRequest {
  path: string;
  /** Where the key arrived ('query', 'header'), or null when it did not arrive as configured. */
  keyArrived: 'query' | 'header' | null;
  at: number;
}

export interface SampleSource {
  /** e.g. http://127.0.0.1:PORT */
  origin: string;
  /** The normal endpoint: OpenWeatherMap's current weather for London, without a key. */
  weatherUrl: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export interface SampleSourceOptions {
  /** When given, requests must carry it as `keyIn` says, or get OpenWeatherMap's 401. */
  apiKey?: string;
  keyIn?: KeyPlacement;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function keyArrival(req: IncomingMessage, url: URL, options: SampleSourceOptions): RecordedRequest['keyArrived'] {
  const placement = options.keyIn ?? { in: 'query', name: 'appid' };
  if (placement.in === 'query') return url.searchParams.get(placement.name) === options.apiKey ? 'query' : null;
  const header = req.headers[placement.name.toLowerCase()];
  const expected = placement.name.toLowerCase() === 'authorization' ? `Bearer ${options.apiKey}` : options.apiKey;
  return header === expected ? 'header' : null;
}

export async function startSampleSource(options: SampleSourceOptions = {}): Promise<SampleSource> {
  const requests: RecordedRequest[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const keyArrived = options.apiKey ? keyArrival(req, url, options) : null;
    requests.push({ path: url.pathname, keyArrived, at: Date.now() });
    const count = (seen.get(url.pathname) ?? 0) + 1;
    seen.set(url.pathname, count);
    if (options.apiKey && !keyArrived) {
      json(res, 401, { cod: 401, message: 'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.' });
      return;
    }
    const ms = Number(url.searchParams.get('ms') ?? '0');
    switch (url.pathname) {
      case '/data/2.5/weather':
        return json(res, 200, CURRENT_WEATHER_LONDON);
      case '/fail/500':
        return json(res, 500, { cod: 500, message: 'Internal error' });
      case '/flaky/429':
        // The first call is rate limited, later ones succeed.
        return count === 1 ? json(res, 429, { cod: 429, message: 'Too many requests' }, { 'retry-after': '1' }) : json(res, 200, CURRENT_WEATHER_LONDON);
      case '/slow': {
        const timer = setTimeout(() => json(res, 200, CURRENT_WEATHER_LONDON), ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/not-json':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>Service temporarily unavailable</body></html>');
      case '/broken-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"coord": {"lon": -0.12');
      case '/big': {
        const bytes = Number(url.searchParams.get('bytes') ?? String(2 * 1024 * 1024));
        res.writeHead(200, { 'content-type': 'application/json' });
        // Streamed without a content-length, so the cap must hold while reading.
        return void res.end(`{"padding":"${'x'.repeat(Math.max(0, bytes - 14))}"}`);
      }
      default:
        return json(res, 404, { cod: '404', message: 'Internal error: not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    origin,
    weatherUrl: `${origin}/data/2.5/weather?q=London`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
