/**
 * A local FCM HTTP v1 API with its OAuth 2 token endpoint, over HTTP/1.1 on loopback.
 *
 * - `POST /token`: the `jwt-bearer` grant; the assertion must be an RS256 JWT of the generated service
 *   account (issuer = its client email, audience = this endpoint, scope firebase.messaging). Answers
 *   an access token.
 * - `POST /v1/projects/<project>/messages:send`: `Authorization: Bearer <access token>`,
 *   `{"message": {"token", …}}` with string `data` values. Answers 200 `{name}` or Google's error body:
 *   404 `UNREGISTERED` for `invalid-…` tokens, 400 `INVALID_ARGUMENT` with a `message.token` field
 *   violation for `malformed-…` tokens (not a registration token), 403 `SENDER_ID_MISMATCH` for
 *   `other-project-…` tokens (another project's), and 403 `PERMISSION_DENIED` without an FCM error
 *   code for a project other than `local-chat` (the service account may not send for it).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from 'jose';
import { isUnregisteredToken, type PushLog, parseJson, readAll } from './log.ts';

export const FCM_PROJECT = 'local-chat';
export const FCM_CLIENT = 'push@local-chat.iam.gserviceaccount.com';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const FAULT_CODES: Record<number, [status: string, errorCode: string]> = {
  429: ['RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'],
  500: ['INTERNAL', 'INTERNAL'],
  503: ['UNAVAILABLE', 'UNAVAILABLE'],
};

function fcmError(status: number, code: string, message: string, errorCode?: string) {
  const details = errorCode
    ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] }
    : {};
  return { error: { code: status, message, status: code, ...details } };
}

/** FCM's answer for a token that is no registration token: its sentence and the field it names. */
function notAToken() {
  const error = fcmError(
    400,
    'INVALID_ARGUMENT',
    'The registration token is not a valid FCM registration token',
    'INVALID_ARGUMENT',
  ).error;
  const violation = {
    '@type': 'type.googleapis.com/google.rpc.BadRequest',
    fieldViolations: [
      { field: 'message.token', description: 'The registration token is not a valid FCM registration token' },
    ],
  };
  return { error: { ...error, details: [...(error.details ?? []), violation] } };
}

type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;

export class LocalFcm {
  readonly #accessTokens = new Set<string>();
  readonly #server: Server;
  #publicKey = '';
  /** The service account's key (PKCS#8 PEM) the push Lambda signs its assertions with. */
  privateKey = '';
  #origin = '';

  constructor(private readonly log: PushLog) {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  async start(host: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', {
      extractable: true,
      modulusLength: 2048,
    });
    this.privateKey = await exportPKCS8(privateKey);
    this.#publicKey = await exportSPKI(publicKey);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, host, () => resolve());
    });
    this.#origin = `http://${host}:${(this.#server.address() as AddressInfo).port}`;
  }

  get endpoint(): string {
    return this.#origin;
  }

  get tokenUri(): string {
    return `${this.#origin}/token`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send: Send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/token') return this.#token(body, send);
    const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) return send(404, fcmError(404, 'NOT_FOUND', 'Not found.'));
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || !this.#accessTokens.has(auth.slice(7))) {
      return send(401, fcmError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    }
    const project = decodeURIComponent(match[1] as string);
    if (project !== FCM_PROJECT) {
      const message = `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`;
      return send(403, fcmError(403, 'PERMISSION_DENIED', message));
    }
    const payload = parseJson(body) as { message?: { token?: unknown; data?: Record<string, unknown> } };
    const token = typeof payload === 'object' ? payload?.message?.token : undefined;
    if (typeof token !== 'string' || token === '') {
      return send(400, fcmError(400, 'INVALID_ARGUMENT', 'Recipient of the message is not set.'));
    }
    const refuse = (status: number, code: string, errorCode: string, headers?: Record<string, string>) => {
      this.log.record({ platform: 'fcm', token, payload, status, reason: errorCode });
      send(status, fcmError(status, code, `Refused: ${errorCode}.`, errorCode), headers);
    };
    if (Object.values(payload.message?.data ?? {}).some((v) => typeof v !== 'string')) {
      return refuse(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    }
    const fault = this.log.takeFault('fcm');
    if (fault) {
      const [code, errorCode] = FAULT_CODES[fault.status] ?? ['INTERNAL', 'INTERNAL'];
      const retryAfter = fault.retryAfterSeconds;
      return refuse(
        fault.status,
        code,
        errorCode,
        retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      );
    }
    if (isUnregisteredToken(token)) return refuse(404, 'NOT_FOUND', 'UNREGISTERED');
    if (token.startsWith('malformed-')) {
      this.log.record({ platform: 'fcm', token, payload, status: 400, reason: 'INVALID_ARGUMENT' });
      return send(400, notAToken());
    }
    if (token.startsWith('other-project-')) {
      this.log.record({ platform: 'fcm', token, payload, status: 403, reason: 'SENDER_ID_MISMATCH' });
      return send(403, fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'));
    }
    this.log.record({ platform: 'fcm', token, payload, status: 200 });
    send(200, { name: `projects/${FCM_PROJECT}/messages/${randomUUID()}` });
  }

  async #token(body: string, send: Send): Promise<void> {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return send(400, { error: 'unsupported_grant_type' });
    }
    try {
      const key = await importSPKI(this.#publicKey, 'RS256');
      const { payload } = await jwtVerify(form.get('assertion') ?? '', key, {
        issuer: FCM_CLIENT,
        audience: this.tokenUri,
        algorithms: ['RS256'],
      });
      if (
        !String(payload.scope ?? '')
          .split(' ')
          .includes(SCOPE)
      )
        return send(400, { error: 'invalid_scope' });
    } catch {
      return send(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    const accessToken = `ya29.local-${randomUUID()}`;
    this.#accessTokens.add(accessToken);
    send(200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }
}
