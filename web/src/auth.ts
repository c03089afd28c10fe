/**
 * Signing in. Locally (`config.json` `{"mode":"local"}`): a demo-user picker that asks the dev
 * server for tokens (`/_local/dev-token`, this machine only), or a pasted token. Deployed
 * (`{"mode":"oidc", ...}`): OpenID Connect (oidc.ts). The session (which user, how to get a token)
 * lives in this tab's sessionStorage only.
 */
import type { TokenSource } from '../../client/src/index.ts';
import type { WebConfig } from './config.ts';
import { expired, subject } from './jwt.ts';
import { SignInRequired } from './oidc-token.ts';

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

/** The tab's session in sessionStorage (oidc.ts keeps its own kind of entry under it too). */
export const SESSION_KEY = 'chat.session';

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
  // A refusal (400 not a demo user, 403 deactivated or not this machine): no retrying, sign in again.
  if (res.status >= 400 && res.status < 500) {
    const { message } = (await res.json().catch(() => ({}))) as { message?: string };
    throw new SignInRefused(message ?? `HTTP ${res.status}`);
  }
  if (!res.ok) throw new Error(`No dev token for ${userId}: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** The dev server refused a demo user's token (the page says why on the login form). */
export class SignInRefused extends SignInRequired {}

/** A session for a demo user: a fresh dev token on every (re)connect. */
export function devSession(userId: string): Session {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ kind: 'dev', userId }));
  return { wsUrl: sameOriginWs(), userId, token: () => devToken(userId) };
}

/** A session for a pasted token. */
export function tokenSession(token: string, wsUrl = sameOriginWs()): Session {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ kind: 'token', token, wsUrl }));
  return { wsUrl, userId: subject(token), token };
}

/**
 * The session this tab had before a reload, if any; not one whose pasted token has expired (it is not
 * renewed: the client would stop at once, so sign in again). OIDC sessions: oidc.ts.
 */
export function storedSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as
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
  sessionStorage.removeItem(SESSION_KEY);
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
