/**
 * FCM HTTP v1: one POST per notification to `/v1/projects/<project>/messages:send`, authorised by an
 * OAuth 2 access token that the service account obtains with an RS256 JWT assertion signed by `jose`
 * (RFC 7523 `jwt-bearer` grant), cached until five minutes before it expires. A `send`'s requests
 * (the token fetch, the post, and both again after a 401) share one deadline, `PUSH_ATTEMPT_MS` from
 * its start: each is cut to what is left of it, and one that would get less than `MIN_REQUEST_MS` is
 * not started (a `TimeoutError`, retried or deferred by deliver.ts), so an attempt never outlasts
 * the send budget's (budget.ts).
 */
import { importPKCS8, SignJWT } from 'jose';
import type { FcmCredentials } from './config.ts';
import { fcmMessage, type PushContent } from './payload.ts';
import {
  isRetryableStatus,
  PUSH_ATTEMPT_MS,
  PUSH_REQUEST_TIMEOUT_MS,
  type PushProvider,
  retryAfterMs,
  type SendOutcome,
} from './provider.ts';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const EARLY_REFRESH_MS = 5 * 60 * 1000;
/** A request that would have less of its send's deadline left is not started. */
export const MIN_REQUEST_MS = 1_000;

interface FcmErrorBody {
  readonly error?: {
    readonly status?: string;
    readonly message?: string;
    readonly details?: readonly {
      readonly '@type'?: string;
      readonly errorCode?: string;
      readonly fieldViolations?: readonly { readonly field?: string }[];
    }[];
  };
}

/** FCM's sentence for a token that is no registration token (its documented example). */
const NOT_A_TOKEN = 'The registration token is not a valid FCM registration token';

/**
 * FCM's own error code (`UNREGISTERED`, `QUOTA_EXCEEDED`, …), else the status name; and whether the
 * error is about the registration token itself (a `message.token` field violation, or FCM's sentence
 * for a token that is none), which tells a 400 `INVALID_ARGUMENT` for the token from one for our
 * payload (too big, a reserved data key).
 */
function errorOf(body: string, status: number): { code: string; aboutToken: boolean } {
  try {
    const error = (JSON.parse(body) as FcmErrorBody).error;
    const fcm = error?.details?.find((d) => d['@type']?.endsWith('google.firebase.fcm.v1.FcmError'));
    const aboutToken =
      error?.message === NOT_A_TOKEN ||
      (error?.details ?? []).some((d) => (d.fieldViolations ?? []).some((v) => v.field === 'message.token'));
    return { code: fcm?.errorCode ?? error?.status ?? `HTTP ${status}`, aboutToken };
  } catch {
    return { code: `HTTP ${status}`, aboutToken: false };
  }
}

/**
 * The answers that mean the token will never take a notification from us, so the device is removed
 * (FCM's ErrorCode reference): `UNREGISTERED` (404: the app was uninstalled, the token expired);
 * `INVALID_ARGUMENT` (400) about the token (not a registration token: malformed, truncated); and
 * `SENDER_ID_MISMATCH` (403: the token belongs to another Firebase project's senders), but only once
 * `proven`: the provider has had a send accepted, so its credentials are the apps' project's. Before
 * that, a service account of the wrong project (every token answers `SENDER_ID_MISMATCH`) would remove
 * every Android device; it is a failure, devices kept. A plain 403 `PERMISSION_DENIED` (our service
 * account may not send for the project: a wrong `project_id`) has no `SENDER_ID_MISMATCH` code and is
 * a failure, devices kept; so is an `INVALID_ARGUMENT` about the payload.
 */
function isGoneToken(status: number, error: { code: string; aboutToken: boolean }, proven: boolean): boolean {
  if (error.code === 'UNREGISTERED' || (status === 404 && error.code === 'NOT_FOUND')) return true;
  if (status === 403 && error.code === 'SENDER_ID_MISMATCH') return proven;
  return status === 400 && error.code === 'INVALID_ARGUMENT' && error.aboutToken;
}

export class FcmProvider implements PushProvider {
  readonly platform = 'fcm' as const;
  #access: { value: string; expiresAt: number } | undefined;
  #key: ReturnType<typeof importPKCS8> | undefined;
  /** A send was accepted: the credentials are right (see isGoneToken). Lives as the provider: per container. */
  #accepted = false;

  constructor(
    readonly credentials: FcmCredentials,
    readonly options: { readonly idOnly: boolean; readonly now?: () => number },
  ) {}

  async send(token: string, content: PushContent): Promise<SendOutcome> {
    const deadline = this.#now() + PUSH_ATTEMPT_MS;
    let outcome = await this.#authorised(token, content, deadline);
    if (outcome.kind === 'failed' && outcome.status === 401) {
      this.#access = undefined; // revoked or expired early: fetch a new access token, once
      outcome = await this.#authorised(token, content, deadline);
    }
    return outcome;
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** A request's signal: its timeout cut to what is left until `deadline` (too little: not started). */
  #signal(deadline: number): AbortSignal {
    const left = deadline - this.#now();
    if (left < MIN_REQUEST_MS) {
      const error = new Error(`FCM: ${Math.max(0, left)} ms left of the attempt, too little for a request`);
      throw Object.assign(error, { name: 'TimeoutError' });
    }
    return AbortSignal.timeout(Math.min(PUSH_REQUEST_TIMEOUT_MS, left));
  }

  /** Sends with an access token; a refused token request is the outcome (our credentials are wrong). */
  async #authorised(token: string, content: PushContent, deadline: number): Promise<SendOutcome> {
    let access: string;
    try {
      access = await this.#accessToken(deadline);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined || isRetryableStatus(status)) throw error; // network, 5xx: retried
      return { kind: 'failed', status, reason: `OAuth token refused: ${(error as Error).message}` };
    }
    return this.#post(token, content, access, deadline);
  }

  close(): void {
    this.#access = undefined;
  }

  async #post(token: string, content: PushContent, access: string, deadline: number): Promise<SendOutcome> {
    const { endpoint, projectId } = this.credentials;
    const signal = this.#signal(deadline);
    const response = await fetch(`${endpoint}/v1/projects/${encodeURIComponent(projectId)}/messages:send`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${access}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ message: { token, ...fcmMessage(content, this.options.idOnly) } }),
      signal,
    });
    const body = await response.text();
    if (response.ok) {
      this.#accepted = true;
      return { kind: 'sent', status: response.status };
    }
    const error = errorOf(body, response.status);
    const reason = error.code;
    if (isGoneToken(response.status, error, this.#accepted))
      return { kind: 'unregistered', status: response.status, reason };
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

  async #accessToken(deadline: number): Promise<string> {
    const now = this.#now();
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
      signal: this.#signal(deadline),
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
