/**
 * Defaults of the local stack, defined once: `npm run dev`, the tests and the benchmarks use these.
 * (The handlers' own fallbacks live in `lambdas/shared/config.ts`.)
 */

/** The local gateway's port. */
export const DEFAULT_PORT = 3001;

/** Every local service listens on loopback unless asked otherwise. */
export const LOOPBACK_HOST = '127.0.0.1';

/** The table's name in DynamoDB Local. */
export const DEFAULT_TABLE_NAME = 'chat';

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h) || /^::ffff:127\./.test(h);
}

/** `host` as a URL's host part: an IPv6 address in brackets (`[::1]`), anything else as it is. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
