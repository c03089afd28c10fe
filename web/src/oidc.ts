/**
 * Signing in deployed (`config.json` `{"mode":"oidc", ...}`): the authorization code flow with PKCE
 * against Cognito's hosted UI or any OpenID provider. The ID token is what the socket's authorizer
 * checks; it lives in this tab's sessionStorage only.
 */
import { type Session, storedSession, tokenSession } from './auth.ts';
import type { OidcConfig } from './config.ts';

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
