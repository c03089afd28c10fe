/** AWS throttling us (not a caller's limit): answered `RATE_LIMITED` (ws-middleware.ts), not INTERNAL. */

/** When AWS itself throttles us, clients are told to come back after this long. */
export const THROTTLE_RETRY_MS = 1000;

const THROTTLES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

/** A throttled AWS call (DynamoDB on-demand limits, account limits) is RATE_LIMITED, not INTERNAL. */
export function isThrottle(error: unknown): boolean {
  return THROTTLES.has((error as { name?: string } | null)?.name ?? '');
}
