/**
 * Sockets do not outlive their tokens (issue 17, item 6). The `$connect` authorizer passes the token's
 * `exp` in its context; every action checks it before anything else runs. Once it has passed (with
 * the handshake's clock tolerance), the caller gets `error` `TOKEN_EXPIRED` and the server closes the
 * socket (Management API DeleteConnection); the action does not run, so nothing is written.
 *
 * Why post the error frame instead of returning it as the route response: the route response is
 * delivered after the function returns, and by then the connection is gone. The frame is posted
 * first, then the connection is deleted (close-socket.ts, shared with flood-guard.ts); if the post fails, the frame goes back as the route response
 * and the socket is left to its owner (it can do nothing but get this answer again). Once the post
 * landed the route answers nothing, whatever the delete does: a delete that fails twice is logged
 * and counted (`ExpiredSocketsLeftOpen`), never answered with the frame a second time.
 */
import { CLOCK_TOLERANCE_SECONDS } from '../auth/verifier.ts';
import type { AuthorizerContext } from './caller.ts';
import { type CloseReason, tellAndClose } from './close-socket.ts';
import { errorFrame, type Frame } from './frames.ts';
import { logger } from './logger.ts';

export const TOKEN_EXPIRED_MESSAGE = 'Your token has expired. Reconnect with a fresh token.';

/**
 * The token's `exp` (seconds) from the authorizer context, where API Gateway (and the local gateway)
 * hands it over as a string: the authorizer's 1796364287 arrives as "1796364287".
 */
export function tokenExp(authorizer: AuthorizerContext): number | undefined {
  const raw = authorizer?.exp;
  const exp = typeof raw === 'string' && raw !== '' ? Number(raw) : Number.NaN;
  return Number.isFinite(exp) ? exp : undefined;
}

/** Whether the token has expired at `nowMs`, by the same measure as the handshake (with its tolerance). */
export function tokenExpired(authorizer: AuthorizerContext, nowMs = Date.now()): boolean {
  const exp = tokenExp(authorizer);
  return exp !== undefined && nowMs >= (exp + CLOCK_TOLERANCE_SECONDS) * 1000;
}

/**
 * A delete that fails twice is logged and counted (`ExpiredSocketsLeftOpen`); the socket stays open
 * until its next frame (answered `TOKEN_EXPIRED` again, and closed then) or API Gateway's 2-hour limit.
 */
const EXPIRED: CloseReason = { what: 'with an expired token', leftOpen: 'ExpiredSocketsLeftOpen' };

/**
 * Tells the caller and closes the socket (close-socket.ts). Returns the frame to answer with as the
 * route response when it could not be posted (otherwise undefined: the caller has its answer, and
 * the socket is closing).
 */
export async function closeExpired(
  connectionId: string,
  action: string | null,
  requestId: string | null,
): Promise<Frame | undefined> {
  const frame = errorFrame(action, requestId, 'TOKEN_EXPIRED', TOKEN_EXPIRED_MESSAGE);
  logger.info('token expired: closing the socket');
  return (await tellAndClose(connectionId, frame, EXPIRED)).answer;
}
