/**
 * Typed errors of the wire protocol. Domain code throws these; the one error middleware maps them
 * to error frames. Anything else becomes `INTERNAL` with a generic message (never a stack trace).
 */
import type { ErrorCode } from '../contract/errors.ts';

export type { ErrorCode };

export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields of the error frame (e.g. `retryAfterMs` with RATE_LIMITED). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): ChatError => new ChatError('BAD_REQUEST', message);
export const forbidden = (message: string): ChatError => new ChatError('FORBIDDEN', message);
export const notFound = (message: string): ChatError => new ChatError('NOT_FOUND', message);
export const conflict = (message: string): ChatError => new ChatError('CONFLICT', message);

export const INTERNAL_MESSAGE = 'Something went wrong on our side. Please retry.';

export function isChatError(error: unknown): error is ChatError {
  return error instanceof ChatError;
}
