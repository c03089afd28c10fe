/**
 * APNs over HTTP/2 with token-based authentication: an ES256 JWT (`iss` = team id, `kid` = key id),
 * signed with `jose` from the .p8 key, reused for 50 minutes (Apple accepts one for an hour and
 * refuses refreshing it more often than every 20 minutes). One HTTP/2 session per container carries
 * every request as a stream; it is reopened when it closes or fails.
 */
import { type ClientHttp2Session, connect } from 'node:http2';
import { importPKCS8, SignJWT } from 'jose';
import type { ApnsCredentials } from './config.ts';
import { apnsRequest, type PushContent } from './payload.ts';
import {
  isRetryableStatus,
  PUSH_REQUEST_TIMEOUT_MS,
  type PushProvider,
  type SendOutcome,
} from './provider.ts';

const TOKEN_LIFETIME_MS = 50 * 60 * 1000;
/**
 * Refusals that mean the token is dead for this app (remove the device). `BadDeviceToken` is also
 * what a sandbox token gets from the production host: the secret's `environment` must match the
 * app's build (docs/push.md). `DeviceTokenNotForTopic` is not here: a wrong `topic` in the secret
 * would otherwise remove every device.
 */
const UNREGISTERED = new Set(['Unregistered', 'BadDeviceToken']);

interface Http2Response {
  readonly status: number;
  readonly body: string;
}

export class ApnsProvider implements PushProvider {
  readonly platform = 'apns' as const;
  #session: ClientHttp2Session | undefined;
  #token: { value: string; expiresAt: number } | undefined;
  #key: ReturnType<typeof importPKCS8> | undefined;

  constructor(
    readonly credentials: ApnsCredentials,
    readonly options: { readonly idOnly: boolean; readonly now?: () => Date },
  ) {}

  async send(token: string, content: PushContent): Promise<SendOutcome> {
    let outcome = await this.#post(token, content);
    if (outcome.kind === 'failed' && outcome.reason === 'ExpiredProviderToken') {
      this.#token = undefined; // our JWT aged out early (clock skew): sign a new one, once
      outcome = await this.#post(token, content);
    }
    return outcome;
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  async #post(token: string, content: PushContent): Promise<SendOutcome> {
    const now = this.options.now?.() ?? new Date();
    const { headers, body } = apnsRequest(content, this.options.idOnly, now);
    const response = await this.#request(
      {
        ':method': 'POST',
        ':path': `/3/device/${encodeURIComponent(token)}`,
        authorization: `bearer ${await this.#jwt(now)}`,
        'apns-topic': this.credentials.topic,
        'content-type': 'application/json',
        ...headers,
      },
      JSON.stringify(body),
    );
    if (response.status === 200) return { kind: 'sent', status: 200 };
    let reason = `HTTP ${response.status}`;
    try {
      reason = String((JSON.parse(response.body) as { reason?: unknown }).reason ?? reason);
    } catch {
      // not JSON: keep the status as the reason
    }
    if (response.status === 410 || UNREGISTERED.has(reason)) {
      return { kind: 'unregistered', status: response.status, reason };
    }
    if (isRetryableStatus(response.status)) return { kind: 'retry', status: response.status, reason };
    return { kind: 'failed', status: response.status, reason };
  }

  async #jwt(now: Date): Promise<string> {
    if (this.#token && this.#token.expiresAt > now.getTime()) return this.#token.value;
    this.#key ??= importPKCS8(this.credentials.privateKey, 'ES256');
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.credentials.keyId })
      .setIssuer(this.credentials.teamId)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .sign(await this.#key);
    this.#token = { value, expiresAt: now.getTime() + TOKEN_LIFETIME_MS };
    return value;
  }

  #sessionFor(): ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = connect(this.credentials.endpoint);
    session.on('error', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.on('close', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.on('goaway', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.unref(); // an idle session never keeps a process alive
    this.#session = session;
    return session;
  }

  #request(headers: Record<string, string>, body: string): Promise<Http2Response> {
    return new Promise((resolve, reject) => {
      const stream = this.#sessionFor().request(headers);
      let status = 0;
      let data = '';
      let timedOut = false;
      stream.setEncoding('utf8');
      stream.setTimeout(PUSH_REQUEST_TIMEOUT_MS, () => {
        timedOut = true;
        stream.close();
      });
      stream.on('response', (h) => {
        status = Number(h[':status'] ?? 0);
      });
      stream.on('data', (chunk: string) => {
        data += chunk;
      });
      // A timeout is named as fetch names one (its retry is priced as any transient failure's, deliver.ts).
      const closed = () =>
        timedOut
          ? Object.assign(new Error('APNs did not answer in time'), { name: 'TimeoutError' })
          : new Error('APNs closed the stream');
      stream.on('end', () => (status ? resolve({ status, body: data }) : reject(closed())));
      stream.on('error', reject);
      stream.end(body);
    });
  }
}
