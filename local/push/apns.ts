/**
 * A local APNs: HTTP/2 without TLS (h2c) on loopback, `POST /3/device/<token>`. It checks what Apple
 * checks: `authorization: bearer <JWT>` (ES256, the key id and team id of the generated key, issued
 * within the hour), `apns-topic`, `apns-push-type`, a JSON body with `aps` of at most 4 KB. It answers
 * 200 with an `apns-id`, or Apple's status with `{"reason": …}` (410 `Unregistered` for `invalid-…`
 * tokens, with a `timestamp`).
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from 'jose';
import { isUnregisteredToken, type PushLog, parseJson, readAll } from './log.ts';

export const APNS_TEAM = 'LOCALTEAM1';
export const APNS_KEY_ID = 'LOCALKEY01';
export const APNS_TOPIC = 'dev.local.chat';
const MAX_PAYLOAD = 4096;
const FAULT_REASONS: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

export class LocalApns {
  readonly #sessions = new Set<Http2Session>();
  readonly #server: Http2Server;
  #publicKey = '';
  /** The .p8 key (PKCS#8 PEM) the push Lambda signs with. */
  privateKey = '';

  constructor(private readonly log: PushLog) {
    this.#server = createServer();
    this.#server.on('session', (session) => {
      this.#sessions.add(session);
      session.on('close', () => this.#sessions.delete(session));
    });
    this.#server.on('stream', (stream, headers) => {
      this.#handle(stream, headers).catch(() => stream.destroy());
    });
  }

  async start(host: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    this.privateKey = await exportPKCS8(privateKey);
    this.#publicKey = await exportSPKI(publicKey);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, host, () => resolve());
    });
  }

  endpoint(host: string): string {
    return `http://${host}:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const session of this.#sessions) session.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const answer = (status: number, reason?: string) => {
      stream.respond({
        ':status': status,
        'apns-id': String(headers['apns-id'] ?? randomUUID()),
        ...(reason ? { 'content-type': 'application/json' } : {}),
      });
      const timestamp = status === 410 ? { timestamp: Date.now() } : {};
      stream.end(reason ? JSON.stringify({ reason, ...timestamp }) : '');
    };
    const body = await readAll(stream);
    const match = /^\/3\/device\/([^/?]+)$/.exec(String(headers[':path'] ?? ''));
    if (!match) return answer(404, 'BadPath');
    if (headers[':method'] !== 'POST') return answer(405, 'MethodNotAllowed');
    const token = decodeURIComponent(match[1] as string);
    const payload = parseJson(body);
    const apnsHeaders = Object.fromEntries(
      Object.entries(headers)
        .filter(([name]) => name.startsWith('apns-'))
        .map(([name, value]) => [name, String(value)]),
    );
    const refuse = (status: number, reason: string) => {
      this.log.record({ platform: 'apns', token, payload, status, reason, headers: apnsHeaders });
      answer(status, reason);
    };
    const authRefusal = await this.#checkAuthorization(String(headers.authorization ?? ''));
    if (authRefusal) return refuse(403, authRefusal);
    if (!headers['apns-topic']) return refuse(400, 'MissingTopic');
    if (headers['apns-topic'] !== APNS_TOPIC) return refuse(400, 'DeviceTokenNotForTopic');
    if (!['alert', 'background'].includes(String(headers['apns-push-type']))) {
      return refuse(400, 'InvalidPushType');
    }
    if (Buffer.byteLength(body) > MAX_PAYLOAD) return refuse(413, 'PayloadTooLarge');
    if (typeof payload !== 'object' || payload === null || !('aps' in payload)) {
      return refuse(400, 'PayloadEmpty');
    }
    const fault = this.log.takeFault('apns');
    if (fault) return refuse(fault.status, FAULT_REASONS[fault.status] ?? 'InternalServerError');
    if (isUnregisteredToken(token)) return refuse(410, 'Unregistered');
    this.log.record({ platform: 'apns', token, payload, status: 200, headers: apnsHeaders });
    answer(200);
  }

  /** Apple's refusal reason for a provider token, or undefined when it is good. */
  async #checkAuthorization(header: string): Promise<string | undefined> {
    if (!header.toLowerCase().startsWith('bearer ')) return 'MissingProviderToken';
    try {
      const key = await importSPKI(this.#publicKey, 'ES256');
      const { protectedHeader } = await jwtVerify(header.slice(7), key, {
        issuer: APNS_TEAM,
        algorithms: ['ES256'],
        maxTokenAge: '1h',
      });
      return protectedHeader.kid === APNS_KEY_ID ? undefined : 'InvalidProviderToken';
    } catch (error) {
      return (error as { code?: string }).code === 'ERR_JWT_EXPIRED'
        ? 'ExpiredProviderToken'
        : 'InvalidProviderToken';
    }
  }
}
