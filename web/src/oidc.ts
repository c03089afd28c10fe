/**
 * Signing in deployed (`config.json` `{"mode":"oidc", ...}`): the authorization code flow with PKCE
 * against Cognito's hosted UI or any OpenID provider. The ID token is what the socket's authorizer
 * checks; the refresh token the token endpoint returns with it renews it (oidc-token.ts), so a
 * session lasts as long as the provider lets the refresh token live (Cognito: 30 days by default), a
 * reload included. Both live in this tab's sessionStorage only. A refused refresh means signing in
 * again (the page keeps the outbox and the draft meanwhile: keep.ts).
 */
import { SESSION_KEY, type Session, storedSession } from './auth.ts';
import type { OidcConfig } from './config.ts';
import { expired, subject } from './jwt.ts';
import { renewingToken, SignInRequired, type Tokens } from './oidc-token.ts';

interface Endpoints {
  authorize: string;
  token: string;
}

/** What the tab keeps of an OIDC sign-in (under SESSION_KEY). */
interface Stored extends Tokens {
  readonly kind: 'oidc';
  readonly wsUrl: string;
  /** Where to renew the tokens (kept, so a reload needs no discovery first). */
  readonly tokenUrl: string;
}

/** The token endpoint's answer (RFC 6749 §5.1 and §5.2, OpenID Connect Core §3.1.3.3). */
interface TokenResponse {
  id_token?: unknown;
  refresh_token?: unknown;
  error?: unknown;
}

async function endpoints(c: OidcConfig): Promise<Endpoints> {
  if (c.authorizeUrl && c.tokenUrl) return { authorize: c.authorizeUrl, token: c.tokenUrl };
  const res = await fetch(`${c.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  const d = (await res.json()) as { authorization_endpoint: string; token_endpoint: string };
  return { authorize: c.authorizeUrl ?? d.authorization_endpoint, token: c.tokenUrl ?? d.token_endpoint };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

/** Sends the browser to the provider's login page. */
export async function oidcSignIn(c: OidcConfig): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem('chat.pkce', JSON.stringify({ verifier, state }));
  const url = new URL((await endpoints(c)).authorize);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: redirectUri(),
    scope: c.scope ?? 'openid profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** POSTs a grant to the token endpoint; the answer's body, with its status. */
async function tokenRequest(url: string, grant: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(grant),
  });
  const body = (await res.json().catch(() => ({}))) as TokenResponse;
  return { status: res.status, ok: res.ok, body };
}

/**
 * New tokens for a refresh token. Refused (an OAuth error answer, as Cognito's 400 `invalid_grant`
 * for an expired or revoked refresh token, or no ID token in the answer): SignInRequired. Offline,
 * unreachable or a server error: a plain error, and the client tries again later (as it does with
 * any failing token function); the tokens are kept.
 */
async function refresh(tokenUrl: string, clientId: string, refreshToken: string): Promise<Tokens> {
  // Not while offline: the client retries (and the 'online' event makes it retry at once).
  if (!navigator.onLine) throw new Error('The browser is offline.');
  const { status, ok, body } = await tokenRequest(tokenUrl, {
    grant_type: 'refresh_token',
    client_id: clientId,
    refresh_token: refreshToken,
  });
  if (ok && typeof body.id_token === 'string') {
    const rotated = typeof body.refresh_token === 'string' ? body.refresh_token : undefined;
    return { idToken: body.id_token, refreshToken: rotated };
  }
  if (ok) throw new SignInRequired('The provider renewed the sign-in without an ID token.');
  if ((status === 400 || status === 401) && typeof body.error === 'string') {
    throw new SignInRequired(`The provider refused to renew the sign-in (${body.error}).`);
  }
  throw new Error(`Renewing the sign-in failed: HTTP ${status}`);
}

function readStored(): Stored | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Stored | null;
    return s?.kind === 'oidc' && typeof s.idToken === 'string' ? s : null;
  } catch {
    return null; // A damaged entry: sign in again.
  }
}

/** The session of a stored sign-in: its token function renews the ID token when due. */
function session(c: OidcConfig, stored: Stored): Session {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(stored));
  const token = renewingToken({
    get: readStored,
    set(tokens) {
      const now = readStored();
      if (now) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...now, ...tokens }));
    },
    refresh: (refreshToken) => refresh(stored.tokenUrl, c.clientId, refreshToken),
  });
  return { wsUrl: stored.wsUrl, userId: subject(stored.idToken), token };
}

/**
 * After the provider's redirect (`?code=…&state=…`): the tokens, and a clean URL. Otherwise the
 * sign-in this tab kept, if its ID token is still good or it has a refresh token to renew it with.
 */
export async function oidcSession(c: OidcConfig): Promise<Session | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (code) {
    const saved = JSON.parse(sessionStorage.getItem('chat.pkce') ?? '{}') as {
      verifier?: string;
      state?: string;
    };
    sessionStorage.removeItem('chat.pkce');
    history.replaceState(null, '', redirectUri());
    if (!saved.verifier || saved.state !== params.get('state')) throw new Error('Sign-in state mismatch.');
    const tokenUrl = (await endpoints(c)).token;
    const { status, ok, body } = await tokenRequest(tokenUrl, {
      grant_type: 'authorization_code',
      client_id: c.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    });
    if (!ok) throw new Error(`Sign-in failed: HTTP ${status}`);
    if (typeof body.id_token !== 'string') {
      throw new Error('The provider returned no ID token (add the openid scope).');
    }
    const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : undefined;
    return session(c, { kind: 'oidc', wsUrl: c.wsUrl, tokenUrl, idToken: body.id_token, refreshToken });
  }
  const kept = readStored();
  if (kept && kept.wsUrl === c.wsUrl && (kept.refreshToken || !expired(kept.idToken))) {
    return session(c, kept);
  }
  // Any other entry (one that cannot be used, or a token session kept before an upgrade).
  const stored = storedSession();
  return stored && stored.wsUrl === c.wsUrl ? stored : null;
}
