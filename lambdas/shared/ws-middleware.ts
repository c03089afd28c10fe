/**
 * The small middy pipeline every WebSocket route shares:
 *
 *   wsLogContext → wsTokenExpiry → wsCaller → wsRateLimit → wsParseFrame → (validation, handler) → wsErrorFrames
 *
 * An action handler is one `wsAction({ action, run })` call: `action` is the contract's declaration
 * (lambdas/contract), whose request schema validates the frame's fields; `run` calls the domain and
 * returns what the ack carries. Typed errors become `error` frames; anything else becomes `INTERNAL`
 * without internals. The reply travels back as the route response (a two-way route). `$connect`,
 * `$disconnect` and `$default` are built with `wsRoute` on the same pipeline. The rate-limit step is
 * in ws-rate-limit.ts.
 */
import middy from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import type { AckOf, ActionDef, RequestOf } from '../contract/action.ts';
import { parseRequest } from '../contract/parse.ts';
import { meterReads } from '../data/read-meter.ts';
import { withInvocation } from './budget.ts';
import { type Caller, callerOf } from './caller.ts';
import { type CloseReason, tellAndClose } from './close-socket.ts';
import { forbidden, INTERNAL_MESSAGE, isChatError } from './errors.ts';
import { answerRefusal } from './flood-guard.ts';
import { ackFrame, errorFrame, type Frame, FrameError, type ParsedFrame, parseFrame } from './frames.ts';
import { frameKeys, logger } from './logger.ts';
import { countMetric } from './metrics.ts';
import { chargeAudience, chargeReads } from './rate-limiter.ts';
import { rateLimitOf, UNMATCHED } from './rate-limits.ts';
import { isThrottle, THROTTLE_RETRY_MS } from './throttles.ts';
import { closeExpired, tokenExpired } from './token-expiry.ts';
import { admissionOf, refusalOf, wsRateLimit } from './ws-rate-limit.ts';

/** The API Gateway WebSocket event, with what the pipeline adds. */
export type WsEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    authorizer?: Record<string, unknown>;
  };
  frame?: ParsedFrame;
  caller?: Caller;
  /** The frame's rate-limit decision (wsRateLimit): rejects with `RATE_LIMITED`. */
  admitted?: Promise<void>;
  /** The decision was made from the instance's memory (wsRateLimit): settled, no write in flight. */
  admittedKnown?: boolean;
  /** The limit it was counted under (wsRateLimit): the route's action, or `$default`. */
  limit?: string;
  /** Whose limit it was counted against (wsRateLimit). */
  limitUserId?: string;
};

export type WsResult = APIGatewayProxyResultV2 & { statusCode: number; body?: string };
export type WsRequest = middy.Request<WsEvent, WsResult, Error, Context>;
export type WsMiddleware = middy.MiddlewareObj<WsEvent, WsResult, Error, Context>;

/** What an action handler sees beside its validated input. */
export interface ActionContext {
  readonly action: string;
  readonly requestId: string | null;
  readonly connectionId: string;
  readonly caller: Caller;
  /**
   * The frame's rate-limit decision: settled before `run` starts, unless the action is declared
   * `limitBeside` and the decision needs a lease write (then it may still be taking its lease, and
   * rejects with `RATE_LIMITED`).
   */
  readonly admitted: Promise<void>;
  /**
   * Charges the frame by the members it reached (a message's audience), when its limit counts them
   * (rate-limits.ts `membersPerFrame`; nothing otherwise): never refuses, a failure is logged.
   */
  readonly chargeAudience: (members: number) => Promise<void>;
}

export function reply(frame: Frame | undefined): WsResult {
  return frame === undefined ? { statusCode: 200 } : { statusCode: 200, body: JSON.stringify(frame) };
}

/** Adds the connection id, route, request ids and caller to every log line of the invocation. */
export function wsLogContext(): WsMiddleware {
  const wsLogContextBefore = (request: WsRequest): void => {
    const rc = request.event.requestContext;
    // The caller the authorizer verified (what `wsCaller` reads, without its refusal): a successful
    // send logs nothing but its `MessagesSent` EMF line, whose keys then say who sent it
    // (docs/operations.md, "A chat near its storage limit"). A key, never a metric dimension.
    const userId = rc?.authorizer?.userId ?? rc?.authorizer?.principalId;
    logger.resetKeys();
    logger.appendKeys({
      connectionId: rc?.connectionId,
      routeKey: rc?.routeKey,
      apiRequestId: rc?.requestId,
      awsRequestId: request.context?.awsRequestId,
      ...(typeof userId === 'string' && userId.length > 0 ? { userId } : {}),
    });
  };
  return { before: wsLogContextBefore };
}

/** The action and requestId a frame names, as far as they are usable (both null when it is not JSON). */
function envelopeOf(event: WsEvent): Pick<ParsedFrame, 'action' | 'requestId'> {
  try {
    return parseFrame(event.body, event.isBase64Encoded);
  } catch (error) {
    if (error instanceof FrameError) return error;
    throw error;
  }
}

/**
 * Before anything else, on a socket whose token has expired: every frame, whatever it is (not JSON,
 * an unknown action, fields the action refuses), is answered `TOKEN_EXPIRED` and the socket closed
 * (token-expiry.ts); nothing else runs. The error names `action` (the route's; for `$default`, the
 * frame's own when it names one) and the frame's requestId when it is valid.
 */
export function wsTokenExpiry(action?: string): WsMiddleware {
  const wsTokenExpiryBefore = async (request: WsRequest): Promise<WsResult | undefined> => {
    const { event } = request;
    if (!tokenExpired(event.requestContext?.authorizer)) return undefined;
    const envelope = envelopeOf(event);
    const named = action ?? envelope.action;
    const shown = named?.startsWith('$') ? null : named;
    return reply(await closeExpired(event.requestContext.connectionId, shown, envelope.requestId));
  };
  return { before: wsTokenExpiryBefore };
}

/** Parses the body into `event.frame`; an unusable frame is a typed error for `wsErrorFrames`. */
export function wsParseFrame(): WsMiddleware {
  const wsParseFrameBefore = (request: WsRequest): void => {
    request.event.frame = parseFrame(request.event.body, request.event.isBase64Encoded);
    logger.appendKeys(frameKeys(request.event.frame.fields));
  };
  return { before: wsParseFrameBefore };
}

/** Reads the caller, put there by the `$connect` authorizer. */
export function wsCaller(): WsMiddleware {
  const wsCallerBefore = (request: WsRequest): void => {
    request.event.caller = callerOf(request.event.requestContext?.authorizer);
  };
  return { before: wsCallerBefore };
}

/**
 * Maps every error to an error frame. Typed errors keep their code; others become INTERNAL, counted
 * (`InternalErrors`: the invocation itself succeeds, so Lambda's `Errors` never sees them). A frame
 * the per-user limiter refused counts against its socket: one that keeps sending after
 * `RATE_LIMITED` is closed (flood-guard.ts).
 */
export function wsErrorFrames(): WsMiddleware {
  const wsErrorFramesOnError = async (request: WsRequest): Promise<void> => {
    const { event } = request;
    const frame = event.frame ?? (request.error as Partial<ParsedFrame> | null);
    const refused = await refusalOf(event);
    const error = refused ?? (request.error as Error);
    const failedAction = frame?.action ?? event.requestContext?.routeKey ?? null;
    const action = failedAction?.startsWith('$') ? null : failedAction;
    const requestId = frame?.requestId ?? null;
    if (isThrottle(error) || (isChatError(error) && error.code === 'RATE_LIMITED'))
      countMetric('RateLimitedFrames');
    if (isThrottle(error)) {
      logger.warn('request throttled', { error });
      request.response = reply({
        ...errorFrame(action, requestId, 'RATE_LIMITED', 'Too many requests right now. Retry in a moment.'),
        retryAfterMs: THROTTLE_RETRY_MS,
      });
    } else if (isChatError(error)) {
      logger.info('request refused', { code: error.code, reason: error.message });
      const answer = { ...errorFrame(action, requestId, error.code, error.message), ...error.details };
      const connectionId = event.requestContext?.connectionId;
      const limited = error === refused && error.code === 'RATE_LIMITED' && connectionId !== undefined;
      const refusal = limited
        ? answerRefusal({ connectionId, userId: event.limitUserId, limit: event.limit ?? UNMATCHED }, answer)
        : answer;
      request.response = reply(await refusal);
    } else {
      // The invocation still ends normally (the caller gets its error frame), so Lambda counts no
      // error: this count is what the `InternalErrors` alarm sees of a fault (lib/monitoring.ts).
      countMetric('InternalErrors');
      logger.error('request failed', { error });
      request.response = reply(errorFrame(action, requestId, 'INTERNAL', INTERNAL_MESSAGE));
    }
  };
  return { onError: wsErrorFramesOnError };
}

export interface ActionSpec<A extends ActionDef> {
  /** The contract's declaration of the action this handler serves. */
  readonly action: A;
  /** Calls the domain; returns what the ack carries. */
  readonly run: (input: RequestOf<A>, ctx: ActionContext) => Promise<AckOf<A>>;
  /**
   * `run` starts while the rate limiter takes its lease (a write when this instance has no frames
   * of the user's window left), instead of after it: the action's own first round trip overlaps it.
   * Only for an action whose domain awaits `ctx.admitted` before any write that stays (and undoes a
   * speculative one when it rejects): sendMessage's clientMessageId claim (`send-checks.ts`). The
   * answer is `RATE_LIMITED` whenever the limiter refuses, whatever `run` did. A decision the
   * instance makes from memory (`admittedKnown`) is awaited first as for any action: a frame refused
   * from memory (the window known to be spent) runs nothing and writes nothing.
   */
  readonly limitBeside?: boolean;
  /** The calling socket is closed once its ack is posted (`deleteAccount`: close-socket.ts). */
  readonly closeAfter?: CloseReason;
}

function respond(def: ActionDef, ctx: ActionContext, result: Record<string, unknown>): Frame | undefined {
  switch (def.reply) {
    case 'pong':
      return { type: 'pong', action: def.name, requestId: ctx.requestId };
    case 'ack-if-requested':
      return ctx.requestId === null ? undefined : ackFrame(def.name, ctx.requestId, result);
    case 'ack':
      return ackFrame(def.name, ctx.requestId, result);
  }
}

/** Builds the Lambda handler of one action route. */
export function wsAction<A extends ActionDef>(spec: ActionSpec<A>) {
  const act = async (event: WsEvent): Promise<WsResult> => {
    const frame = event.frame ?? parseFrame(event.body, event.isBase64Encoded);
    const caller = event.caller ?? callerOf(event.requestContext.authorizer);
    const base = {
      action: spec.action.name,
      requestId: frame.requestId,
      connectionId: event.requestContext.connectionId,
      caller,
    };
    // Every frame, valid or not, was counted against the caller's limit (wsRateLimit) before it was
    // parsed; it acts once admitted (or, `limitBeside` while a lease is being written, before
    // anything it does stays). Whatever fails, a refused frame is answered RATE_LIMITED
    // (wsErrorFrames awaits the decision too).
    const admitted = admissionOf(event);
    if (spec.action.adminOnly && !caller.admin) throw forbidden('Only administrators may do this.');
    const input = parseRequest(spec.action, frame.fields);
    if (!spec.limitBeside || event.admittedKnown) await admitted;
    const ctx: ActionContext = {
      ...base,
      admitted,
      chargeAudience: (members) => chargeAudience(caller.userId, spec.action.name, members),
    };
    // An action whose limit counts its units (the expensive reads, and the writes whose reads grow
    // with the request or the chat) is metered, and charged by what it read (rate-limiter.ts), after
    // it ran, whether it succeeded or not: a charge never undoes what the frame did.
    const meter = rateLimitOf(spec.action.name)?.unitsPerFrame ? { units: 0 } : undefined;
    const result = meter
      ? await meterReads(meter, () => spec.run(input, ctx)).finally(() =>
          chargeReads(caller.userId, spec.action.name, meter.units),
        )
      : await spec.run(input, ctx);
    await admitted;
    const answer = respond(spec.action, ctx, result as Record<string, unknown>);
    if (!spec.closeAfter || !answer) return reply(answer);
    return reply((await tellAndClose(ctx.connectionId, answer, spec.closeAfter)).answer);
  };
  // The invocation's deadline is current for what stops in time (lambdas/shared/budget.ts). Made
  // current here, around the handler itself: a middleware's scope would not outlive its own await.
  const actionHandler = (event: WsEvent, context?: Context) => withInvocation(context, () => act(event));
  return middy<WsEvent, WsResult, Error, Context>()
    .use(wsLogContext())
    .use(wsTokenExpiry(spec.action.name))
    .use(wsCaller())
    .use(wsRateLimit(spec.action.name))
    .use(wsParseFrame())
    .use(wsErrorFrames())
    .handler(actionHandler);
}

/**
 * `$connect` / `$disconnect`: the caller from the authorizer, no reply frame. `run` may answer a
 * status (`$connect` refusing the handshake, e.g. 429); otherwise 200.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `$disconnect` handlers return nothing at all.
export function wsLifecycle(run: (caller: Caller, event: WsEvent) => Promise<WsResult | undefined | void>) {
  const lifecycleHandler = (event: WsEvent, context?: Context): Promise<WsResult> =>
    withInvocation(context, async () => {
      const result = await run(event.caller ?? callerOf(event.requestContext.authorizer), event);
      return result ?? { statusCode: 200 };
    });
  return middy<WsEvent, WsResult, Error, Context>()
    .use(wsLogContext())
    .use(wsCaller())
    .handler(lifecycleHandler);
}

/**
 * `$default`: the parsed frame in, always an error frame out (TOKEN_EXPIRED once the token has
 * expired; RATE_LIMITED beyond the caller's `$default` limit, `UNMATCHED` in rate-limits.ts).
 */
export function wsUnmatched(refuse: (frame: ParsedFrame) => Error) {
  const unmatchedHandler = async (event: WsEvent): Promise<WsResult> => {
    throw refuse(event.frame ?? parseFrame(event.body, event.isBase64Encoded));
  };
  return middy<WsEvent, WsResult, Error, Context>()
    .use(wsLogContext())
    .use(wsTokenExpiry())
    .use(wsRateLimit(UNMATCHED))
    .use(wsParseFrame())
    .use(wsErrorFrames())
    .handler(unmatchedHandler);
}
