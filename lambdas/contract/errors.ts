/** The error frame and its codes. */
import * as v from 'valibot';

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_ACTION',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'TOKEN_EXPIRED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorFrame = v.pipe(
  v.object({
    type: v.literal('error'),
    action: v.nullable(v.string()),
    requestId: v.nullable(v.string()),
    code: v.picklist(ERROR_CODES),
    message: v.pipe(v.string(), v.description('A sentence for humans; names the field for BAD_REQUEST.')),
    retryAfterMs: v.pipe(
      v.optional(v.pipe(v.number(), v.integer())),
      v.description('With RATE_LIMITED: when to retry, in milliseconds.'),
    ),
  }),
  v.title('error'),
  v.description(
    'A failed request. It wrote nothing and the socket stays usable (except TOKEN_EXPIRED: the server closes it).',
  ),
);
