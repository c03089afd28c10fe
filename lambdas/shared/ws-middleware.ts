/**
 * The small middy pipeline every WebSocket route shares:
 *
 *   wsLogContext → wsParseFrame → wsIdentity → (handler) → wsErrorFrames
 *
 * Handlers stay thin: they validate the action's fields, call the domain and return a result that
 * becomes the `ack` frame. Typed errors become `error` frames; anything else becomes `INTERNAL`
 * without internals. The reply travels back as the route response (a two-way route).
 */
import middy from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { ChatError, INTERNAL_MESSAGE, isChatError } from './errors.ts';
import { ackFrame, errorFrame, type Frame } from './frames.ts';
import { frameKeys, logger } from './logger.ts';
import { countMetric } from './metrics.ts';
import { type Fields, isPlainObject, MAX_ID_LENGTH } from './validate.ts';

/** Frames larger than this (but under API Gateway's 128 KB) are refused with PAYLOAD_TOO_LARGE. */
export const MAX_FRAME_BYTES = 64 * 1024;

export interface Identity {
  readonly userId: string;
  readonly name: string;
}

export interface ParsedFrame {
  readonly action: string | null;
  readonly requestId: string | null;
  readonly fields: Fields;
}

/** The API Gateway WebSocket event, with what the pipeline adds. */
export type WsEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    authorizer?: Record<string, unknown>;
  };
  frame?: ParsedFrame;
  identity?: Identity;
};

export type WsResult = APIGatewayProxyResultV2 & { statusCode: number; body?: string };
type WsRequest = middy.Request<WsEvent, WsResult, Error, Context>;

/** What an action handler sees. */
export interface ActionContext {
  readonly action: string;
  readonly requestId: string | null;
  readonly connectionId: string;
  readonly user: Identity;
}

export function reply(frame: Frame | undefined): WsResult {
  return frame === undefined ? { statusCode: 200 } : { statusCode: 200, body: JSON.stringify(frame) };
}

/** Adds the connection id, route and request ids to every log line of the invocation. */
export function wsLogContext(): middy.MiddlewareObj<WsEvent, WsResult, Error, Context> {
  const wsLogContextBefore = (request: WsRequest): void => {
    const rc = request.event.requestContext;
    logger.resetKeys();
    logger.appendKeys({
      connectionId: rc?.connectionId,
      routeKey: rc?.routeKey,
      apiRequestId: rc?.requestId,
      awsRequestId: request.context?.awsRequestId,
    });
  };
  return { before: wsLogContextBefore };
}

/**
 * Parses the body into `event.frame`. Never throws for a bad body: it records what it could and
 * leaves the verdict to the handler (`$default`) or to `requireFrame`.
 */
export function wsParseFrame(): middy.MiddlewareObj<WsEvent, WsResult, Error, Context> {
  const wsParseFrameBefore = (request: WsRequest): void => {
    request.event.frame = parseFrame(request.event.body, request.event.isBase64Encoded);
    logger.appendKeys(frameKeys(request.event.frame.fields));
  };
  return { before: wsParseFrameBefore };
}

export class FrameError extends ChatError {}

/** Parses a raw body. Throws `FrameError` (BAD_REQUEST / PAYLOAD_TOO_LARGE) for unusable frames. */
export function parseFrame(body: string | undefined, isBase64Encoded = false): ParsedFrame {
  const text =
    body === undefined ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError('BAD_REQUEST', 'The frame is not valid JSON. Send one JSON object per frame.');
  }
  if (!isPlainObject(value)) {
    throw new FrameError('BAD_REQUEST', 'The frame must be a JSON object with an "action".');
  }
  const action = typeof value.action === 'string' ? value.action : null;
  const rawRequestId = value.requestId;
  const requestId =
    typeof rawRequestId === 'string' && rawRequestId.length <= MAX_ID_LENGTH ? rawRequestId : null;
  const fail = (code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE', message: string) =>
    Object.assign(new FrameError(code, message), { action, requestId });
  if (rawRequestId !== undefined && rawRequestId !== null && requestId === null) {
    throw fail('BAD_REQUEST', `"requestId" must be a string of at most ${MAX_ID_LENGTH} characters.`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES) {
    throw fail('PAYLOAD_TOO_LARGE', `Frames must be at most ${MAX_FRAME_BYTES / 1024} KB.`);
  }
  return { action, requestId, fields: value };
}

/** Reads the caller's identity, put there by the `$connect` authorizer. */
export function wsIdentity(): middy.MiddlewareObj<WsEvent, WsResult, Error, Context> {
  const wsIdentityBefore = (request: WsRequest): void => {
    request.event.identity = identityOf(request.event);
  };
  return { before: wsIdentityBefore };
}

export function identityOf(event: WsEvent): Identity {
  const authorizer = event.requestContext?.authorizer;
  const userId = authorizer?.userId ?? authorizer?.principalId;
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new ChatError('FORBIDDEN', 'This connection carries no identity. Reconnect with a valid token.');
  }
  const name = typeof authorizer?.name === 'string' && authorizer.name ? authorizer.name : userId;
  return { userId, name };
}

/** Maps every error to an error frame. Typed errors keep their code; others become INTERNAL. */
export function wsErrorFrames(): middy.MiddlewareObj<WsEvent, WsResult, Error, Context> {
  const wsErrorFramesOnError = (request: WsRequest): void => {
    const { error, event } = request;
    const frame = event.frame ?? (error as Partial<ParsedFrame> | null);
    const failedAction = frame?.action ?? event.requestContext?.routeKey ?? null;
    const action = failedAction?.startsWith('$') ? null : failedAction;
    const requestId = frame?.requestId ?? null;
    if (isThrottle(error) || (isChatError(error) && error.code === 'RATE_LIMITED'))
      countMetric('RateLimitedFrames');
    if (isThrottle(error)) {
      logger.warn('request throttled', { error });
      request.response = reply(
        errorFrame(action, requestId, 'RATE_LIMITED', 'Too many requests right now. Retry in a moment.'),
      );
    } else if (isChatError(error)) {
      logger.info('request refused', { code: error.code, reason: error.message });
      request.response = reply(errorFrame(action, requestId, error.code, error.message));
    } else {
      logger.error('request failed', { error });
      request.response = reply(errorFrame(action, requestId, 'INTERNAL', INTERNAL_MESSAGE));
    }
  };
  return { onError: wsErrorFramesOnError };
}

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

export interface ActionSpec<Input, Result> {
  /** The route key this handler serves. */
  readonly action: string;
  /** Validates the frame's fields; throws `BAD_REQUEST` ChatErrors. */
  readonly parse: (fields: Fields) => Input;
  /** Calls the domain. */
  readonly run: (input: Input, ctx: ActionContext) => Promise<Result>;
  /**
   * Builds the reply frame.
   * @default an `ack` frame carrying the result's fields
   */
  readonly respond?: (result: Result, ctx: ActionContext) => Frame | undefined;
}

/** Builds the Lambda handler of one action route. */
export function wsAction<Input, Result extends Record<string, unknown> | undefined>(
  spec: ActionSpec<Input, Result>,
) {
  const respond =
    spec.respond ??
    ((result: Result, ctx: ActionContext) => ackFrame(ctx.action, ctx.requestId, result ?? {}));
  const actionHandler = async (event: WsEvent): Promise<WsResult> => {
    const frame = event.frame ?? parseFrame(event.body, event.isBase64Encoded);
    const ctx: ActionContext = {
      action: spec.action,
      requestId: frame.requestId,
      connectionId: event.requestContext.connectionId,
      user: event.identity ?? identityOf(event),
    };
    const input = spec.parse(frame.fields);
    const result = await spec.run(input, ctx);
    return reply(respond(result, ctx));
  };
  return middy<WsEvent, WsResult, Error, Context>()
    .use(wsLogContext())
    .use(wsParseFrame())
    .use(wsIdentity())
    .use(wsErrorFrames())
    .handler(actionHandler);
}
