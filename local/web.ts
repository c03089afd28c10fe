/**
 * The web chat on the local gateway's origin (extra local HTTP routes, not part of API Gateway):
 * the page built from `web/` with esbuild in memory, its `config.json` (the socket is this origin),
 * and the demo-user picker's endpoints: `GET /_local/dev-users` and `POST /_local/dev-token`
 * (`{"userId": "alice"}` → `{"token": "…"}`), which mint dev tokens for the demo users only (not
 * for one an administrator deactivated: 403), to callers on this machine only. None of this exists in a deployed stack (test/cdk/web.test.ts).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { store } from '../lambdas/data/store.ts';
import type { WebConfig } from '../web/src/config.ts';
import type { LocalHttpRoute } from './gateway.ts';
import { refusedBeyondThisMachine } from './local-only.ts';
import { ROOT } from './stack.ts';
import { devSessionTtlSeconds, devToken } from './token.ts';
import { contentSecurityPolicy, FRAME_HEADERS, withPolicy } from './web-csp.ts';

export const WEB_DIR = resolve(ROOT, 'web');

export type { WebConfig } from '../web/src/config.ts';

export interface WebAsset {
  readonly type: string;
  readonly body: Buffer;
}

/**
 * Builds the page: `index.html` (with its Content-Security-Policy: local/web-csp.ts), `app.js` (one
 * ES2020 module), `style.css`, `config.json`. `mediaOrigin`: the media bucket's origin, for the policy.
 */
export async function buildWeb(
  config: WebConfig,
  options: { minify?: boolean; mediaOrigin?: string } = {},
): Promise<Map<string, WebAsset>> {
  const result = await build({
    entryPoints: [resolve(WEB_DIR, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    write: false,
    minify: options.minify ?? false,
    sourcemap: options.minify ? false : 'inline',
    outfile: 'app.js',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no app.js');
  // web/style.css imports its parts (web/styles/); the browser gets them as one file.
  const styles = await build({
    entryPoints: [resolve(WEB_DIR, 'style.css')],
    bundle: true,
    write: false,
    minify: options.minify ?? false,
    outfile: 'style.css',
    logLevel: 'silent',
  });
  const css = styles.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!css) throw new Error('esbuild produced no style.css');
  return new Map<string, WebAsset>([
    [
      'index.html',
      {
        type: 'text/html; charset=utf-8',
        body: Buffer.from(
          withPolicy(
            await readFile(resolve(WEB_DIR, 'index.html'), 'utf8'),
            contentSecurityPolicy(config, options.mediaOrigin),
          ),
        ),
      },
    ],
    ['style.css', { type: 'text/css; charset=utf-8', body: Buffer.from(css.contents) }],
    ['app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(js.contents) }],
    ['config.json', { type: 'application/json', body: Buffer.from(JSON.stringify(config)) }],
  ]);
}

export interface DevUser {
  readonly userId: string;
  readonly name: string;
  /** The token's `roles` claim (the demo `admin` user's `['admin']`). @default none */
  readonly roles?: readonly string[];
}

export interface WebRoutesOptions {
  /** The built page (buildWeb). */
  readonly assets: ReadonlyMap<string, WebAsset>;
  /** Users the picker offers; tokens are minted for these only. Empty: no picker. */
  readonly users: readonly DevUser[];
  /** @default 24 h, or JWT_MAX_LIFETIME_SECONDS when shorter (devSessionTtlSeconds) */
  readonly tokenTtlSeconds?: number;
  /**
   * Whether an administrator deactivated the user (`deactivateUser`): then no token (403), as the
   * socket would refuse it anyway. `deactivatedInTable` reads the local table. @default nobody is
   */
  readonly deactivated?: (userId: string) => Promise<boolean>;
}

/** `WebRoutesOptions.deactivated` from the stack's table (one key lookup: data/deactivations.ts). */
export async function deactivatedInTable(userId: string): Promise<boolean> {
  return (await store().deactivations.get(userId)) !== undefined;
}

/** The page and the dev-token endpoints as one extra HTTP route of the local gateway. */
export function webRoutes(options: WebRoutesOptions): LocalHttpRoute {
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/_local/dev-users' && req.method === 'GET') {
      if (refusedBeyondThisMachine(req, res)) return true;
      send(
        res,
        200,
        'application/json',
        JSON.stringify({ users: options.users.map(({ userId, name }) => ({ userId, name })) }),
      );
      return true;
    }
    if (path === '/_local/dev-token' && req.method === 'POST') {
      // From elsewhere on the network use `npm run token` and paste the token.
      if (refusedBeyondThisMachine(req, res)) return true;
      // JSON only: a cross-site form or no-cors fetch cannot send it without a CORS preflight.
      if (!req.headers['content-type']?.startsWith('application/json')) {
        send(res, 415, 'application/json', JSON.stringify({ message: 'Send JSON: {"userId": "…"}' }));
        return true;
      }
      const userId = await readUserId(req);
      const user = options.users.find((u) => u.userId === userId);
      if (!user) {
        send(res, 400, 'application/json', JSON.stringify({ message: 'userId: not a demo user' }));
        return true;
      }
      if (await options.deactivated?.(user.userId)) {
        const message = 'userId: deactivated by an administrator';
        send(res, 403, 'application/json', JSON.stringify({ message }));
        return true;
      }
      const token = await devToken(user.userId, {
        name: user.name,
        ttlSeconds: options.tokenTtlSeconds ?? devSessionTtlSeconds(),
        ...(user.roles ? { roles: user.roles } : {}),
      });
      send(res, 200, 'application/json', JSON.stringify({ token }));
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const asset = options.assets.get(path === '/' ? 'index.html' : path.slice(1));
    if (!asset) return false;
    send(res, 200, asset.type, req.method === 'HEAD' ? '' : asset.body, asset.body.length);
    return true;
  };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  length?: number,
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': length ?? Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...FRAME_HEADERS,
  });
  res.end(body);
}

async function readUserId(req: IncomingMessage): Promise<string | undefined> {
  let raw = '';
  for await (const chunk of req) {
    raw += String(chunk);
    if (raw.length > 4096) return undefined;
  }
  try {
    const body = JSON.parse(raw) as { userId?: unknown };
    return typeof body.userId === 'string' ? body.userId : undefined;
  } catch {
    return undefined;
  }
}
