/**
 * What the page reads from `config.json`: where the socket is and how to sign in. Types only, no
 * DOM: the local server that writes the file (`local/web.ts`) imports them too.
 */
import type { RefusalLimits } from './refusals.ts';

/**
 * Shorter waits for the browser tests (test/web/): the tests' local build writes them into
 * `config.json`; `npm run web:build` and `npm run dev` never do, so a real page keeps the defaults.
 */
export interface PageTiming {
  /** When handshakes that keep failing fast send the user back to the login form. @default REFUSALS (refusals.ts) */
  readonly refusals?: RefusalLimits;
  /** The client's reconnect backoff (ClientOptions). @default the client's: 500 and 30 000 */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** The client's request timeout (ClientOptions). @default the client's: 15 000 */
  readonly requestTimeoutMs?: number;
}

/** Local: the demo-user picker; the socket is the page's own origin. */
export interface LocalConfig {
  readonly mode: 'local';
  readonly timing?: PageTiming;
}

/** Deployed: the authorization code flow with PKCE against an OpenID provider. */
export interface OidcConfig {
  readonly mode: 'oidc';
  readonly wsUrl: string;
  /** The issuer (Cognito: https://cognito-idp.<region>.amazonaws.com/<poolId>). */
  readonly issuer: string;
  readonly clientId: string;
  /** @default 'openid profile' */
  readonly scope?: string;
  /** Cognito's hosted UI (https://<domain>.auth.<region>.amazoncognito.com), when not in discovery. */
  readonly authorizeUrl?: string;
  readonly tokenUrl?: string;
  readonly timing?: PageTiming;
}

export type WebConfig = LocalConfig | OidcConfig;
