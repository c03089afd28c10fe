/**
 * FCM HTTP v1: one POST per notification to `/v1/projects/<project>/messages:send`, authorised by an
 * OAuth 2 access token that the service account obtains with an RS256 JWT assertion signed by `jose`
 * (RFC 7523 `jwt-bearer` grant), cached until five minutes before it expires.
 */
import { importPKCS8, SignJWT } from 'jose';
import type { FcmCredentials } from './config.ts';
import { fcmMessage, type PushContent } from './payload.ts';
import {
  isRetryableStatus,
  PUSH_REQUEST_TIMEOUT_MS,
  type PushProvider,
  retryAfterMs,
  type SendOutcome,
} from './provider.ts';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const EARLY_REFRESH_MS = 5 * 60 * 1000;

interface FcmErrorBody {
  readonly error?: {
    readonly status?: string;
    readonly details?: readonly { readonly '@type'?: string; readonly errorCode?: string }[];
  };
}

/** FCM's own error code (`UNREGISTERED`, `QUOTA_EXCEEDED`, …), else the status name. */
function errorCode(body: string, status: number): string {
  try {
    const error = (JSON.parse(body) as FcmErrorBody).error;
    const fcm = error?.details?.find((d) => d['@type']?.endsWith('google.firebase.fcm.v1.FcmError'));
    return fcm?.errorCode ?? error?.status ?? `HTTP ${status}`;
  } catch {
    return `HTTP ${status}`;
  }
}

export class FcmProvider implements PushProvider {
  readonly platform = 'fcm' as const;
  #access: { value: string; expiresAt: number } | undefined;
  #key: ReturnType<typeof importPKCS8> | undefined;

  constructor(
    readonly credentials: FcmCredentials,
    readonly options: { readonly idOnly: boolean },
  ) {}

  async send(token: string, content: PushContent): Promise<SendOutcome> {
    let outcome = await this.#authorised(token, content);
    if (outcome.kind === 'failed' && outcome.status === 401) {
      this.#access = undefined; // revoked or expired early: fetch a new access token, once
      outcome = await this.#authorised(token, content);
    }
    return outcome;
  }

  /** Sends with an access token; a refused token request is the outcome (our credentials are wrong). */
  async #authorised(token: string, content: PushContent): Promise<SendOutcome> {
    let access: string;
    try {
      access = await this.#accessToken();
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined || isRetryableStatus(status)) throw error; // network, 5xx: retried
      return { kind: 'failed', status, reason: `OAuth token refused: ${(error as Error).message}` };
    }
    return this.#post(token, content, access);
  }

  close(): void {
    this.#access = undefined;
  }

  async #post(token: string, content: PushContent, access: string): Promise<SendOutcome> {
    const { endpoint, projectId } = this.credentials;
    const response = await fetch(`${endpoint}/v1/projects/${encodeURIComponent(projectId)}/messages:send`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${access}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ message: { token, ...fcmMessage(content, this.options.idOnly) } }),
      signal: AbortSignal.timeout(PUSH_REQUEST_TIMEOUT_MS),
    });
    const body = await response.text();
    if (response.ok) return { kind: 'sent', status: response.status };
    const reason = errorCode(body, response.status);
    if (reason === 'UNREGISTERED' || (response.status === 404 && reason === 'NOT_FOUND')) {
      return { kind: 'unregistered', status: response.status, reason };
    }
    if (isRetryableStatus(response.status)) {
      return {
        kind: 'retry',
        status: response.status,
        reason,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
    }
    return { kind: 'failed', status: response.status, reason };
  }

  async #accessToken(): Promise<string> {
    const now = Date.now();
    if (this.#access && this.#access.expiresAt > now) return this.#access.value;
    const { clientEmail, privateKey, privateKeyId, tokenUri } = this.credentials;
    this.#key ??= importPKCS8(privateKey, 'RS256');
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(privateKeyId ? { kid: privateKeyId } : {}) })
      .setIssuer(clientEmail)
      .setAudience(tokenUri)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + 3600)
      .sign(await this.#key);
    const response = await fetch(tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(PUSH_REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) {
      const detail = (await response.text()).slice(0, 200);
      throw Object.assign(new Error(`HTTP ${response.status} ${detail}`), { status: response.status });
    }
    const out = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!out.access_token) throw new Error('FCM OAuth token response has no access_token');
    this.#access = {
      value: out.access_token,
      expiresAt: now + (out.expires_in ?? 3600) * 1000 - EARLY_REFRESH_MS,
    };
    return out.access_token;
  }
}
