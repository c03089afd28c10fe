/**
 * Property (fuzz) tests of the error-frame middleware: whatever a handler throws, the client gets one
 * well-formed error frame that leaks nothing (split from frames.property.test.ts, whose set-up it
 * shares).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatError, type ErrorCode, INTERNAL_MESSAGE } from '../../lambdas/shared/errors.ts';
import { type FrameError, parseFrame } from '../../lambdas/shared/frames.ts';
import { type WsEvent, type WsResult, wsErrorFrames } from '../../lambdas/shared/ws-middleware.ts';

/** The longest requestId (docs/protocol.md, Frames and Limits). */
const MAX_REQUEST_ID = 64;

/** Calls parseFrame; returns the frame or the thrown value, and fails on any non-FrameError. */
function outcome(body: string | undefined, isBase64Encoded = false) {
  try {
    return { frame: parseFrame(body, isBase64Encoded) };
  } catch (error) {
    return { error };
  }
}

/** Strings of any UTF-16 code units, lone surrogates included. */
const codeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 })
  .map((units) => String.fromCharCode(...units));

const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), codeUnits, fc.json());

describe('the error-frame middleware', () => {
  const CODES: ErrorCode[] = [
    'BAD_REQUEST',
    'UNKNOWN_ACTION',
    'FORBIDDEN',
    'NOT_FOUND',
    'CONFLICT',
    'PAYLOAD_TOO_LARGE',
    'RATE_LIMITED',
    'INTERNAL',
  ];

  /** Runs the middleware's onError the way middy does; returns the error frame it answered. */
  async function answer(error: unknown, event: Partial<WsEvent>): Promise<Record<string, unknown>> {
    const request = { event, error, response: undefined as WsResult | undefined, context: {}, internal: {} };
    const onError = wsErrorFrames().onError as (r: typeof request) => Promise<void>;
    await onError(request);
    expect(request.response?.statusCode).toBe(200);
    return JSON.parse(String(request.response?.body)) as Record<string, unknown>;
  }

  /** The action an error frame names: the frame's, else the route's; never a `$` route. */
  const expectedAction = (action: string | null, routeKey: string): string | null => {
    const named = action ?? routeKey;
    return named.startsWith('$') ? null : named;
  };

  // The middleware logs what it maps (unexpected errors at ERROR): keep the fuzzing quiet.
  beforeEach(() => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const routeKey = fc.constantFrom('sendMessage', 'history', '$default', '$connect');
  const frame = fc.record({
    action: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: null }),
    requestId: fc.option(fc.string({ maxLength: MAX_REQUEST_ID }), { nil: null }),
  });

  it('answers a typed error with its code and message, and the frame’s action and requestId', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CODES),
        fc.string(),
        frame,
        routeKey,
        async (code, message, f, key) => {
          const event = { requestContext: { routeKey: key }, frame: { ...f, fields: {} } };
          const reply = await answer(new ChatError(code, message), event as unknown as WsEvent);
          expect(reply).toEqual({
            type: 'error',
            action: expectedAction(f.action, key),
            requestId: f.requestId,
            code,
            message,
          });
        },
      ),
    );
  });

  it('answers anything else as INTERNAL with the generic message: no internals leak', async () => {
    const thrown = fc.oneof(
      fc.string().map((m) => new Error(`secret ${m} at /var/task/index.mjs:1:2`)),
      fc.string().map((m) => new TypeError(m)),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(thrown, frame, async (error, f) => {
        fc.pre(!(error instanceof ChatError));
        const isThrottle = ['ThrottlingException', 'ProvisionedThroughputExceededException'].includes(
          (error as { name?: unknown } | null)?.name as string,
        );
        fc.pre(!isThrottle);
        const event = { requestContext: { routeKey: 'sendMessage' }, frame: { ...f, fields: {} } };
        const reply = await answer(error, event as unknown as WsEvent);
        expect(reply).toEqual({
          type: 'error',
          action: expectedAction(f.action, 'sendMessage'),
          requestId: f.requestId,
          code: 'INTERNAL',
          message: INTERNAL_MESSAGE,
        });
      }),
    );
  });

  it('answers a throttled AWS call as RATE_LIMITED', async () => {
    for (const name of ['ThrottlingException', 'ProvisionedThroughputExceededException']) {
      const error = Object.assign(new Error('Rate exceeded'), { name });
      const reply = await answer(error, {
        requestContext: { routeKey: 'sendMessage' },
      } as unknown as WsEvent);
      expect(reply).toMatchObject({ type: 'error', action: 'sendMessage', code: 'RATE_LIMITED' });
    }
  });

  it('takes the action and requestId from a FrameError when the frame could not be parsed', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const { error } = outcome(text);
        fc.pre(error !== undefined);
        const reply = await answer(error, { requestContext: { routeKey: '$default' } } as unknown as WsEvent);
        const refusal = error as FrameError & { action?: string | null; requestId?: string | null };
        expect(reply).toEqual({
          type: 'error',
          action: expectedAction(refusal.action ?? null, '$default'),
          requestId: refusal.requestId ?? null,
          code: refusal.code,
          message: refusal.message,
        });
      }),
      { numRuns: 500 },
    );
  });
});
