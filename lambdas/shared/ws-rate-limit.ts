/**
 * The pipeline's rate-limit step (ws-middleware.ts): every frame counts against its sender's limit
 * (rate-limits.ts) before it is parsed, and the decision travels on the event to the handler
 * (`admissionOf`) and to the error mapping (`refusalOf`).
 */
import { callerOf } from './caller.ts';
import { admitFrame } from './rate-limiter.ts';
import type { WsEvent, WsMiddleware, WsRequest } from './ws-middleware.ts';

/**
 * Counts the frame against the caller's limit of `action` (rate-limits.ts; `$default` for frames no
 * route matches) before it is parsed or validated: a frame the contract refuses costs its sender as
 * much of the limit as one it accepts, so a flood of invalid frames is refused `RATE_LIMITED` too.
 * The decision is `event.admitted`: the handler awaits it before it acts (wsAction), and
 * `wsErrorFrames` before it answers any other error (beyond the limit the answer is `RATE_LIMITED`,
 * whatever else was wrong with the frame). A decision this instance's memory makes
 * (`event.admittedKnown`: a frame of its lease, or the window known to be spent) is settled at
 * once, so a `limitBeside` action does not start beside it: refused from memory, nothing of it runs
 * and nothing is written. A frame without an identity is not counted (it is refused anyway: wsCaller).
 */
export function wsRateLimit(action: string): WsMiddleware {
  const wsRateLimitBefore = (request: WsRequest): void => {
    const { event } = request;
    const userId = event.caller?.userId ?? identityOf(event);
    if (userId === undefined) return;
    event.limit = action;
    event.limitUserId = userId;
    const { admitted, known } = admitFrame(userId, action);
    event.admitted = admitted;
    event.admittedKnown = known;
    admitted.catch(() => undefined); // awaited by the handler or wsErrorFrames
  };
  return { before: wsRateLimitBefore };
}

function identityOf(event: WsEvent): string | undefined {
  try {
    return callerOf(event.requestContext?.authorizer).userId;
  } catch {
    return undefined;
  }
}

/** Why the frame's rate-limit decision refused it (`RATE_LIMITED`, or a throttle), if it did. */
export async function refusalOf(event: WsEvent): Promise<Error | undefined> {
  try {
    await event.admitted;
    return undefined;
  } catch (refused) {
    return refused as Error;
  }
}

/**
 * The frame's rate-limit decision, which wsRateLimit makes before any handler runs (a frame without
 * an identity never gets there: wsCaller refuses it). Missing, the pipeline is wrong: INTERNAL.
 */
export function admissionOf(event: WsEvent): Promise<void> {
  if (event.admitted) return event.admitted;
  throw new Error('event.admitted is missing: wsRateLimit must run before the action handler');
}
