/** What the local push stand-ins share: the record of every notification, and injected faults. */

export type PushPlatform = 'apns' | 'fcm';

/** One notification as a stand-in received it. */
export interface PushRecord {
  readonly platform: PushPlatform;
  readonly token: string;
  /** The JSON body the product sent (APNs: the notification; FCM: `{message}`). */
  readonly payload: unknown;
  /** The HTTP status the stand-in answered. */
  readonly status: number;
  readonly sentAt: string;
  /** The provider's refusal reason (`Unregistered`, `UNREGISTERED`, …), when refused. */
  readonly reason?: string;
  /** APNs: the `apns-*` request headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PushFault {
  readonly status: 429 | 500 | 503;
  /** Only this platform. @default both */
  readonly platform?: PushPlatform;
  /** How many requests fail this way. @default 1 */
  readonly count?: number;
  /** The `Retry-After` header (seconds) of an FCM refusal. */
  readonly retryAfterSeconds?: number;
}

export class PushLog {
  readonly notifications: PushRecord[] = [];
  readonly #faults: { fault: PushFault; left: number }[] = [];

  record(record: Omit<PushRecord, 'sentAt'>): void {
    this.notifications.push({ ...record, sentAt: new Date().toISOString() });
  }

  inject(fault: PushFault): void {
    this.#faults.push({ fault, left: fault.count ?? 1 });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** The fault the next request of `platform` answers with, if one is pending. */
  takeFault(platform: PushPlatform): PushFault | undefined {
    const index = this.#faults.findIndex((f) => !f.fault.platform || f.fault.platform === platform);
    const pending = this.#faults[index];
    if (!pending) return undefined;
    if (--pending.left <= 0) this.#faults.splice(index, 1);
    return pending.fault;
  }
}

/** Tokens the stand-ins refuse the way the real services refuse tokens that are no longer registered. */
export const isUnregisteredToken = (token: string): boolean => token.startsWith('invalid-');

export async function readAll(stream: NodeJS.ReadableStream, limit = 1 << 20): Promise<string> {
  let body = '';
  for await (const chunk of stream) {
    body += chunk.toString();
    if (body.length > limit) break;
  }
  return body;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
