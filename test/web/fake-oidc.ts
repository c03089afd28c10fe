/**
 * A small OpenID provider for the page's OIDC tests, on a port of its own (another origin than the
 * page's, as Cognito's hosted UI is): `GET /authorize` signs `user` in at once and redirects back with
 * a code; `POST /token` (CORS open, as a provider's token endpoint is) answers the
 * `authorization_code` grant (PKCE S256 checked) and the `refresh_token` grant. ID tokens are dev
 * tokens (HS256 with the local secret, jose), which the local authorizer accepts; refresh tokens
 * rotate (the one used is no longer good). Every grant is recorded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devToken } from '../../local/token.ts';

export interface Grant {
  readonly grant: string;
  /** The ID token issued, if any. */
  readonly idToken?: string;
  /** The refresh token issued, if any. */
  readonly refreshToken?: string;
  /** The refresh token presented (refresh_token grant). */
  readonly presented?: string;
}

export interface FakeOidc {
  readonly url: string;
  /** Who signs in at `/authorize`. */
  user: string;
  /** ID token lifetimes in seconds, per grant. */
  ttl: { code: number; refresh: number };
  /** Refuse every refresh (400 `invalid_grant`), as for a revoked or expired refresh token. */
  refuse: boolean;
  readonly grants: Grant[];
  stop(): Promise<void>;
}

const CLIENT_ID = 'web';

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'access-control-allow-origin': '*',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  return new URLSearchParams(raw);
}

export async function startFakeOidc(): Promise<FakeOidc> {
  const codes = new Map<string, { challenge: string; redirectUri: string; user: string }>();
  const refreshTokens = new Map<string, string>(); // refresh token → user
  const issue = async (user: string, ttlSeconds: number) => {
    const refreshToken = randomBytes(16).toString('hex');
    refreshTokens.set(refreshToken, user);
    return { idToken: await devToken(user, { ttlSeconds }), refreshToken };
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      const code = randomBytes(8).toString('hex');
      codes.set(code, { challenge: q.get('code_challenge') ?? '', redirectUri, user: provider.user });
      const back = new URL(redirectUri);
      back.search = new URLSearchParams({ code, state: q.get('state') ?? '' }).toString();
      res.writeHead(302, { location: back.toString() });
      return void res.end();
    }
    if (req.method !== 'POST' || url.pathname !== '/token') return send(res, 404, { error: 'not_found' });
    const body = await form(req);
    const grant = body.get('grant_type') ?? '';
    if (body.get('client_id') !== CLIENT_ID) return send(res, 401, { error: 'invalid_client' });
    if (grant === 'authorization_code') {
      const code = codes.get(body.get('code') ?? '');
      codes.delete(body.get('code') ?? '');
      const verifier = body.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!code || code.challenge !== challenge || code.redirectUri !== body.get('redirect_uri')) {
        provider.grants.push({ grant });
        return send(res, 400, { error: 'invalid_grant' });
      }
      const issued = await issue(code.user, provider.ttl.code);
      provider.grants.push({ grant, ...issued });
      return send(res, 200, {
        id_token: issued.idToken,
        refresh_token: issued.refreshToken,
        expires_in: 3600,
      });
    }
    if (grant === 'refresh_token') {
      const presented = body.get('refresh_token') ?? '';
      const user = refreshTokens.get(presented);
      refreshTokens.delete(presented);
      if (provider.refuse || !user) {
        provider.grants.push({ grant, presented });
        return send(res, 400, { error: 'invalid_grant' });
      }
      const issued = await issue(user, provider.ttl.refresh);
      provider.grants.push({ grant, presented, ...issued });
      return send(res, 200, {
        id_token: issued.idToken,
        refresh_token: issued.refreshToken,
        expires_in: 3600,
      });
    }
    send(res, 400, { error: 'unsupported_grant_type' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const provider: FakeOidc = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    user: 'alice',
    ttl: { code: 3600, refresh: 3600 },
    refuse: false,
    grants: [],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return provider;
}

export const FAKE_OIDC_CLIENT_ID = CLIENT_ID;
