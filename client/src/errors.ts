/** The one error type the client throws. */
import type { ErrorCode } from './contract.ts';

/**
 * Codes of the server's error frames, plus the client's own:
 * - `TIMEOUT`: no reply within the request timeout (the request may still have been applied);
 * - `DISCONNECTED`: the socket closed before the reply came (ditto);
 * - `CLOSED`: the client was closed (or stopped after a refused handshake).
 * The client also raises the server's `PAYLOAD_TOO_LARGE` itself for a frame it will not send (frame.ts).
 */
export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED';

export class ChatClientError extends Error {
  override readonly name = 'ChatClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** The action of the failed request, when there was one. */
    readonly action: string | null = null,
    /** With `RATE_LIMITED`: wait this long before retrying. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * A `RATE_LIMITED` whose `retryAfterMs` is longer than this (a rate-limit window: 60 s) is not waited
 * out, as the daily text budget's (until 00:00 UTC): see `retryable`.
 */
export const LONG_REFUSAL_MS = 60_000;

/**
 * Outcomes worth retrying unchanged (with the same clientMessageId for sends). Asked also of no code
 * (an error not from the client, `codeOf`: undefined), which is never one of them.
 */
export const RETRYABLE: ReadonlySet<ClientErrorCode | undefined> = new Set<ClientErrorCode>([
  'TIMEOUT',
  'DISCONNECTED',
  'INTERNAL',
  'RATE_LIMITED',
  'TOKEN_EXPIRED',
]);

export const codeOf = (error: unknown): ClientErrorCode | undefined =>
  error instanceof ChatClientError ? error.code : undefined;

/**
 * Worth retrying unchanged: a RETRYABLE code, but not a refusal longer than LONG_REFUSAL_MS (the
 * request, even with `retries`, rejects with it at once; the outbox fails the change).
 */
export const retryable = (error: unknown): boolean =>
  RETRYABLE.has(codeOf(error)) && !(((error as ChatClientError).retryAfterMs as number) > LONG_REFUSAL_MS);

/** CLOSED, of the request's `action` (none: null, as ChatClientError's). */
export function closedError(action?: string): ChatClientError {
  return new ChatClientError('CLOSED', 'The client is closed.', action);
}

/** The error of a server's error frame (`code`, `message`, `retryAfterMs`). */
export function errorOf(frame: Readonly<Record<string, unknown>>, action: string): ChatClientError {
  return new ChatClientError(
    frame.code as ChatClientError['code'],
    typeof frame.message === 'string' ? frame.message : String(frame.code),
    action,
    typeof frame.retryAfterMs === 'number' ? frame.retryAfterMs : undefined,
  );
}
