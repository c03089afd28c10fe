/**
 * Reading a JWT's claims on the page (not verifying them: the server does that). No DOM beyond
 * `atob` and `TextDecoder`, which Node has too, so the tests import it directly.
 */

/** The claims of a JWT; empty when it is not a readable JWT. */
function claims(jwt: string): { sub?: unknown; exp?: unknown } {
  try {
    const part = jwt.split('.')[1] ?? '';
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    // atob gives one character per byte: the payload is UTF-8 ("josé" is 5 bytes, not 4 characters).
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const value = JSON.parse(json) as unknown;
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** The `sub` of a JWT, as the client reads it (`client.userId`). */
export function subject(jwt: string): string {
  const { sub } = claims(jwt);
  return typeof sub === 'string' ? sub : '';
}

/** Whether a JWT's `exp` has passed (a token without a readable `exp` is not known to be expired). */
export function expired(jwt: string, now = Date.now()): boolean {
  const { exp } = claims(jwt);
  return typeof exp === 'number' && exp * 1000 <= now;
}
