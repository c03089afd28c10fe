/**
 * Property (fuzz) tests of frame parsing and of the error-frame middleware, through their exported
 * functions: whatever a client sends, `parseFrame` either returns the frame or throws a typed
 * `FrameError` (BAD_REQUEST or PAYLOAD_TOO_LARGE) — never anything else; JSON objects keep their
 * action and requestId; the size limit holds to the byte. Whatever a handler throws, the client
 * gets one well-formed error frame that leaks nothing.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatError, type ErrorCode, INTERNAL_MESSAGE } from '../../lambdas/shared/errors.ts';
import { FrameError, MAX_FRAME_BYTES, parseFrame } from '../../lambdas/shared/frames.ts';
import { type WsEvent, type WsResult, wsErrorFrames } from '../../lambdas/shared/ws-middleware.ts';

/**
 * The contract (docs/protocol.md, Frames and Limits): requestId is a string of 1–64 characters (code
 * points), with no control characters, no `#`, no U+FFFE or U+FFFF.
 */
const MAX_REQUEST_ID = 64;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters a requestId may not contain
const FORBIDDEN = /[\u0000-\u001f\u007f#\uFFFE\uFFFF]/g;

/** Any string of 1–64 code points (any Unicode, astral included) without a forbidden character. */
const validRequestId = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_REQUEST_ID }),
    fc.string({ unit: fc.constantFrom('😀', 'é', 'r'), minLength: 1, maxLength: MAX_REQUEST_ID }),
  )
  .map((s) => s.replace(FORBIDDEN, '_'))
  .filter((s) => [...s].length >= 1 && [...s].length <= MAX_REQUEST_ID && s.isWellFormed());

const forbiddenChar = fc.constantFrom(
  ...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)),
  '\u007f',
  '#',
  '\uFFFE',
  '\uFFFF',
);

/** Calls parseFrame; returns the frame or the thrown value, and fails on any non-FrameError. */
function outcome(body: string | undefined, isBase64Encoded = false) {
  try {
    return { frame: parseFrame(body, isBase64Encoded) };
  } catch (error) {
    return { error };
  }
}

function expectTypedRefusal(error: unknown): asserts error is FrameError {
  expect(error).toBeInstanceOf(FrameError);
  expect(['BAD_REQUEST', 'PAYLOAD_TOO_LARGE']).toContain((error as FrameError).code);
  expect((error as FrameError).message.length).toBeGreaterThan(10);
}

/** Strings of any UTF-16 code units, lone surrogates included. */
const codeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 })
  .map((units) => String.fromCharCode(...units));

const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), codeUnits, fc.json());

describe('parseFrame on anything', () => {
  it('returns a frame or throws a typed FrameError for any text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = outcome(text);
        if ('error' in result) expectTypedRefusal(result.error);
        else expect(typeof result.frame.fields).toBe('object');
      }),
      { numRuns: 2000 },
    );
  });

  it('does the same for any bytes, base64-encoded as API Gateway passes binary frames', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = outcome(Buffer.from(bytes).toString('base64'), true);
        if ('error' in result) expectTypedRefusal(result.error);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every JSON value that is not an object with BAD_REQUEST and no action', () => {
    const notAnObject = fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v));
    fc.assert(
      fc.property(notAnObject, (value) => {
        const result = outcome(JSON.stringify(value));
        expect('error' in result).toBe(true);
        expectTypedRefusal(result.error);
        expect((result.error as FrameError).code).toBe('BAD_REQUEST');
      }),
    );
  });

  it('treats a missing body as an empty one (BAD_REQUEST)', () => {
    const result = outcome(undefined);
    expectTypedRefusal(result.error);
    expect((result.error as FrameError).code).toBe('BAD_REQUEST');
  });
});

describe('parseFrame on JSON objects', () => {
  const fields = fc.dictionary(
    fc.string().filter((k) => k !== 'action' && k !== 'requestId' && k !== '__proto__'),
    fc.jsonValue(),
    { maxKeys: 5 },
  );

  it('keeps a string action and a valid requestId (1–64 characters, no control character, no #), and every field', () => {
    const requestId = fc.option(validRequestId, { nil: undefined });
    fc.assert(
      fc.property(fc.string(), requestId, fields, (action, id, rest) => {
        const value = { ...rest, action, ...(id === undefined ? {} : { requestId: id }) };
        const { frame } = outcome(JSON.stringify(value));
        expect(frame).toBeDefined();
        expect(frame?.action).toBe(action);
        expect(frame?.requestId).toBe(id ?? null);
        expect(frame?.fields).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('reads any non-string action as no action (null), without refusing the frame', () => {
    const nonString = fc.jsonValue().filter((v) => typeof v !== 'string');
    fc.assert(
      fc.property(nonString, fields, (action, rest) => {
        const { frame } = outcome(JSON.stringify({ ...rest, action }));
        expect(frame?.action).toBeNull();
      }),
    );
  });

  it('refuses a requestId that is not a string of 1–64 characters without control characters or #, naming it, with the action kept', () => {
    const badId = fc.oneof(
      fc.constant(''),
      fc
        .string({ minLength: MAX_REQUEST_ID + 1, maxLength: 200 })
        .filter((s) => [...s].length > MAX_REQUEST_ID),
      // 65 code points in 130 UTF-16 units, and 33 in 66 units: code points count, not units.
      fc.constant('😀'.repeat(MAX_REQUEST_ID + 1)),
      fc.tuple(validRequestId, forbiddenChar, fc.nat()).map(([id, bad, at]) => {
        const chars = [...id].slice(0, MAX_REQUEST_ID - 1);
        chars.splice(at % (chars.length + 1), 0, bad);
        return chars.join('');
      }),
      fc.jsonValue().filter((v) => typeof v !== 'string' && v !== null),
    );
    fc.assert(
      fc.property(fc.string(), badId, (action, requestId) => {
        const { error } = outcome(JSON.stringify({ action, requestId }));
        expectTypedRefusal(error);
        expect(error).toMatchObject({ code: 'BAD_REQUEST', action, requestId: null });
        expect(error.message).toMatch(/requestId/);
      }),
    );
  });
});

describe('parseFrame around the size limit', () => {
  /** A frame of about `bytes` bytes whose padding is made of `char`. */
  function frameOf(bytes: number, char: string): string {
    const empty = JSON.stringify({ action: 'sendMessage', requestId: 'r-1', pad: '' });
    const count = Math.max(0, Math.floor((bytes - Buffer.byteLength(empty)) / Buffer.byteLength(char)));
    return JSON.stringify({ action: 'sendMessage', requestId: 'r-1', pad: char.repeat(count) });
  }

  it('accepts every frame of at most MAX_FRAME_BYTES bytes and refuses every larger one', () => {
    fc.assert(
      fc.property(fc.integer({ min: -40, max: 40 }), fc.constantFrom('a', 'é', '€', '😀'), (offset, char) => {
        const text = frameOf(MAX_FRAME_BYTES + offset, char);
        const size = Buffer.byteLength(text);
        const result = outcome(text);
        if (size <= MAX_FRAME_BYTES) {
          expect(result.frame?.action).toBe('sendMessage');
        } else {
          expectTypedRefusal(result.error);
          // The refusal still names the action and echoes the requestId.
          expect(result.error).toMatchObject({
            code: 'PAYLOAD_TOO_LARGE',
            action: 'sendMessage',
            requestId: 'r-1',
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts bytes, not characters: MAX_FRAME_BYTES characters of "é" are refused', () => {
    expect(outcome(frameOf(MAX_FRAME_BYTES, 'a')).frame).toBeDefined();
    const wide = JSON.stringify({ action: 'ping', pad: 'é'.repeat(MAX_FRAME_BYTES / 2) });
    expect(wide.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(outcome(wide).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

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
