/**
 * What the page reads from `config.json`: where the socket is and how to sign in. Types only, no
 * DOM: the local server that writes the file (`local/web.ts`) imports them too.
 */

/** Local: the demo-user picker; the socket is the page's own origin. */
export interface LocalConfig {
  readonly mode: 'local';
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
}

export type WebConfig = LocalConfig | OidcConfig;
