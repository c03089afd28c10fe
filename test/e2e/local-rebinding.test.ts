/**
 * DNS rebinding: a site whose name the attacker points at 127.0.0.1 reaches the local gateway from
 * loopback, as a page of its own origin (no CORS stands in the way). The `/_local/*` endpoints hand
 * out dev tokens and message text, so they also check what the request names: a Host that is not
 * this machine (a loopback name or the address the request came in on) or an `Origin` of another
 * page gets 403. Raw HTTP requests, since `fetch` does not let the caller set `Host`.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalGateway } from '../../local/gateway.ts';
import { LocalPushProviders } from '../../local/push/providers.ts';
import { webRoutes } from '../../local/web.ts';

let gateway: LocalGateway;
let push: LocalPushProviders;

/** One request to 127.0.0.1 with the given headers: its status. */
function call(method: string, path: string, headers: Record<string, string>): Promise<number> {
  const body = method === 'POST' ? '{"userId":"alice"}' : '';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path,
        method,
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          'content-length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const CALLS = [
  ['GET', '/_local/dev-users'],
  ['POST', '/_local/dev-token'],
  ['GET', '/_local/push'],
] as const;

describe('the /_local/* endpoints and DNS rebinding', () => {
  beforeAll(async () => {
    push = await LocalPushProviders.start();
    gateway = new LocalGateway({
      routes: [],
      port: 0,
      httpRoutes: [
        ...push.routes,
        webRoutes({ assets: new Map(), users: [{ userId: 'alice', name: 'Alice' }] }),
      ],
    });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await push?.stop();
  });

  it('refuse a request from loopback that names another host (a rebound name)', async () => {
    const host = `rebind.attacker.example:${gateway.port}`;
    for (const [method, path] of CALLS) {
      expect(await call(method, path, { host, origin: `http://${host}` }), `${method} ${path}`).toBe(403);
      expect(await call(method, path, { host }), `${method} ${path} without Origin`).toBe(403);
    }
  });

  it("refuse a page of another origin, also when the Host is this machine's", async () => {
    for (const origin of ['http://evil.example', 'null', `http://localhost:${gateway.port + 1}`]) {
      for (const [method, path] of CALLS) {
        const status = await call(method, path, { host: `127.0.0.1:${gateway.port}`, origin });
        expect(status, `${method} ${path} from ${origin}`).toBe(403);
      }
    }
  });

  it("answer this machine's own names and pages", async () => {
    for (const host of [`127.0.0.1:${gateway.port}`, `localhost:${gateway.port}`, `[::1]:${gateway.port}`]) {
      for (const [method, path] of CALLS) {
        expect(await call(method, path, { host }), `${method} ${path} as ${host}`).toBe(200);
        const own = await call(method, path, { host, origin: `http://${host}` });
        expect(own, `${method} ${path} from the page of ${host}`).toBe(200);
      }
    }
  });
});
