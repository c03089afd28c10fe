/**
 * Signing in. Locally (`config.json` `{"mode":"local"}`): a demo-user picker that asks the dev
 * server for tokens (`/_local/dev-token`, this machine only), or a pasted token. Deployed
 * (`{"mode":"oidc", ...}`): the authorization code flow with PKCE against Cognito's hosted UI or any
 * OpenID provider; the ID token is what the socket's authorizer checks. Tokens live in this tab's
 * sessionStorage only.
 */
import type { TokenSource } from '../../client/src/index.ts';
import type { OidcConfig, WebConfig } from './config.ts';
import { expired, subject } from './jwt.ts';

export type { LocalConfig, OidcConfig, WebConfig } from './config.ts';

export interface DevUser {
  readonly userId: string;
  readonly name: string;
}

export interface Session {
  readonly wsUrl: string;
  readonly token: TokenSource;
  /** Who the token is for, when known before connecting. */
  readonly userId: string;
}

const KEY = 'chat.session';

/** The socket of the page's own origin (the local gateway serves both). */
export function sameOriginWs(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
}

export async function loadConfig(): Promise<WebConfig> {
  const res = await fetch('config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return (await res.json()) as WebConfig;
}

export async function devUsers(): Promise<DevUser[]> {
  const res = await fetch('/_local/dev-users', { cache: 'no-store' });
  if (!res.ok) return [];
  return ((await res.json()) as { users: DevUser[] }).users;
}

async function devToken(userId: string): Promise<string> {
  // Not while offline: the client retries (and the 'online' event makes it retry at once).
  if (!navigator.onLine) throw new Error('The browser is offline.');
  const res = await fetch('/_local/dev-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`No dev token for ${userId}: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** A session for a demo user: a fresh dev token on every (re)connect. */
export function devSession(userId: string): Session {
  sessionStorage.setItem(KEY, JSON.stringify({ kind: 'dev', userId }));
  return { wsUrl: sameOriginWs(), userId, token: () => devToken(userId) };
}

/** A session for a pasted token. */
export function tokenSession(token: string, wsUrl = sameOriginWs()): Session {
  sessionStorage.setItem(KEY, JSON.stringify({ kind: 'token', token, wsUrl }));
  return { wsUrl, userId: subject(token), token };
}

/**
 * The session this tab had before a reload, if any; not one whose token has expired (a pasted or
 * OIDC ID token is not renewed: the client would stop at once, so sign in again).
 */
export function storedSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as
      | { kind: 'dev'; userId: string }
      | { kind: 'token'; token: string; wsUrl: string }
      | null;
    if (s?.kind === 'dev') return devSession(s.userId);
    if (s?.kind === 'token' && !expired(s.token)) return tokenSession(s.token, s.wsUrl);
    signOut();
  } catch {
    // A damaged entry: sign in again.
  }
  return null;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

const NOTICE = 'chat.notice';

/** Signs out and reloads to the login form, which shows `notice`. */
export function signInAgain(notice: string): void {
  signOut();
  sessionStorage.setItem(NOTICE, notice);
  location.reload();
}

/** What the login form says after signInAgain (once). */
export function takeNotice(): string {
  const notice = sessionStorage.getItem(NOTICE) ?? '';
  sessionStorage.removeItem(NOTICE);
  return notice;
}

// --- OpenID Connect, authorization code + PKCE ---------------------------------------------------

interface Endpoints {
  authorize: string;
  token: string;
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

/** After the provider's redirect (`?code=…&state=…`): the tokens, and a clean URL. */
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
    const res = await fetch((await endpoints(c)).token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: c.clientId,
        code,
        redirect_uri: redirectUri(),
        code_verifier: saved.verifier,
      }),
    });
    if (!res.ok) throw new Error(`Sign-in failed: HTTP ${res.status}`);
    const tokens = (await res.json()) as { id_token?: string };
    if (!tokens.id_token) throw new Error('The provider returned no ID token (add the openid scope).');
    return tokenSession(tokens.id_token, c.wsUrl);
  }
  const stored = storedSession();
  return stored && stored.wsUrl === c.wsUrl ? stored : null;
}
