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

/**
 * A write into a chat whose partition is full: DynamoDB keeps each partition key's items and their
 * local-index entries to 10 GB, and refuses any write that would grow them past it
 * (`ItemCollectionSizeLimitExceededException`; docs/data-model.md, "Size of a chat"). The data layer
 * throws this for every such write (`lambdas/data/table-client.ts`): callers get `FORBIDDEN` with
 * this sentence, and nothing was written.
 */
export const CHAT_FULL_MESSAGE = 'This chat has reached its storage limit: nothing more can be added to it.';

export class ChatFull extends ChatError {
  constructor() {
    super('FORBIDDEN', CHAT_FULL_MESSAGE);
  }
}

export const isChatFull = (error: unknown): error is ChatFull => error instanceof ChatFull;

export const INTERNAL_MESSAGE = 'Something went wrong on our side. Please retry.';

export function isChatError(error: unknown): error is ChatError {
  return error instanceof ChatError;
}
