/** What a push provider answered, in the terms the delivery loop acts on. */
import type { Platform } from '../data/store.ts';
import type { PushContent } from './payload.ts';

/** How long one request to a provider may take (the providers abort it then). */
export const PUSH_REQUEST_TIMEOUT_MS = 10_000;
/**
 * How long one `send` may take, all its requests included (APNs: a post, and again after a provider
 * token expired early; FCM: an access token fetched, the post, and both again after a 401): two
 * request timeouts, which the requests of one send share as one deadline. budget.ts plans by it.
 */
export const PUSH_ATTEMPT_MS = 2 * PUSH_REQUEST_TIMEOUT_MS;

export type SendOutcome =
  | { readonly kind: 'sent'; readonly status: number }
  /** The token is no longer valid for the app: remove the device. */
  | { readonly kind: 'unregistered'; readonly status: number; readonly reason: string }
  /** Throttled or a server error: try again later (after `retryAfterMs` when the provider said). */
  | {
      readonly kind: 'retry';
      readonly status: number;
      readonly reason: string;
      readonly retryAfterMs?: number | undefined;
    }
  /** Refused for a reason retrying will not fix (a bad payload, our credentials). */
  | { readonly kind: 'failed'; readonly status: number; readonly reason: string };

export interface PushProvider {
  readonly platform: Platform;
  /**
   * Sends one notification, within `PUSH_ATTEMPT_MS`. Network failures and timeouts (named
   * `TimeoutError`) are thrown (and retried by the caller).
   */
  send(token: string, content: PushContent): Promise<SendOutcome>;
  /** Closes connections (tests, local shutdown). */
  close(): void;
}

/** `Retry-After` in seconds (or an HTTP date), as milliseconds. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;
