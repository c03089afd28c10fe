/**
 * The local push providers (`npm run dev` and tests only; never deployed): the APNs and FCM
 * stand-ins (apns.ts, fcm.ts) with generated credentials, the environment that points the push
 * Lambda at them, and `GET /_local/push` (`DELETE` clears) for the gateway's extra routes:
 * `{"notifications": [{platform, token, payload, status, sentAt}]}`, oldest first, refusals included;
 * to callers on this machine only (local-only.ts).
 */
import type { ServerResponse } from 'node:http';
import type { LocalHttpRoute } from '../gateway.ts';
import { refusedBeyondThisMachine } from '../local-only.ts';
import { APNS_KEY_ID, APNS_TEAM, APNS_TOPIC, LocalApns } from './apns.ts';
import { FCM_CLIENT, FCM_PROJECT, LocalFcm } from './fcm.ts';
import { type PushFault, PushLog, type PushRecord } from './log.ts';

export type { PushFault, PushRecord };

export class LocalPushProviders {
  readonly #log = new PushLog();
  readonly #apns = new LocalApns(this.#log);
  readonly #fcm = new LocalFcm(this.#log);

  private constructor(readonly host: string) {}

  /** Generates credentials and starts both stand-ins on free loopback ports. */
  static async start(host = '127.0.0.1'): Promise<LocalPushProviders> {
    const providers = new LocalPushProviders(host);
    await Promise.all([providers.#apns.start(host), providers.#fcm.start(host)]);
    return providers;
  }

  /** Every notification received so far (every attempt, refusals included), oldest first. */
  get notifications(): readonly PushRecord[] {
    return this.#log.notifications;
  }

  /** Notifications to one token. */
  to(token: string): PushRecord[] {
    return this.#log.notifications.filter((n) => n.token === token);
  }

  /** The next `count` requests (of `platform`, or either) fail with `status`. */
  injectFault(fault: PushFault): void {
    this.#log.inject(fault);
  }

  clearFaults(): void {
    this.#log.clearFaults();
  }

  clear(): void {
    this.#log.notifications.length = 0;
  }

  /** The push Lambda's environment for these stand-ins (credentials as the secrets hold them). */
  env(options: { idOnly?: boolean } = {}): Record<string, string> {
    return {
      PUSH_APNS_CREDENTIALS: JSON.stringify({
        teamId: APNS_TEAM,
        keyId: APNS_KEY_ID,
        privateKey: this.#apns.privateKey,
        topic: APNS_TOPIC,
        environment: 'sandbox',
      }),
      PUSH_APNS_ENDPOINT: this.#apns.endpoint(this.host),
      PUSH_FCM_CREDENTIALS: JSON.stringify({
        type: 'service_account',
        project_id: FCM_PROJECT,
        private_key_id: 'local-key',
        private_key: this.#fcm.privateKey,
        client_email: FCM_CLIENT,
        token_uri: this.#fcm.tokenUri,
      }),
      PUSH_FCM_ENDPOINT: this.#fcm.endpoint,
      PUSH_ID_ONLY: options.idOnly ? 'true' : 'false',
    };
  }

  /** `GET /_local/push` and `DELETE /_local/push`, mounted on the gateway by the local stack. */
  get routes(): LocalHttpRoute[] {
    const json = (res: ServerResponse, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    return [
      (req, res) => {
        if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/_local/push') return false;
        if (req.method !== 'GET' && req.method !== 'DELETE') return false;
        // Message text and device tokens: this machine only, also with HOST=0.0.0.0.
        if (refusedBeyondThisMachine(req, res)) return true;
        if (req.method === 'GET') json(res, { notifications: this.notifications });
        else {
          this.clear();
          json(res, { notifications: [] });
        }
        return true;
      },
    ];
  }

  async stop(): Promise<void> {
    await Promise.all([this.#apns.stop(), this.#fcm.stop()]);
  }
}
