/**
 * Property (fuzz) tests of frame parsing, through its exported functions: whatever a client sends,
 * `parseFrame` either returns the frame or throws a typed `FrameError` (BAD_REQUEST or
 * PAYLOAD_TOO_LARGE) — never anything else; JSON objects keep their action and requestId; the size
 * limit holds to the byte. (The error-frame middleware's: error-frame.property.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError, MAX_FRAME_BYTES, parseFrame } from '../../lambdas/shared/frames.ts';

/**
 * The contract (docs/protocol.md, Frames and Limits): requestId is any string of at most 64
 * characters (code points): `""`, `#`, control characters and noncharacters included (it is only
 * echoed, in JSON).
 */
const MAX_REQUEST_ID = 64;

/** Any string of 0–64 code points (any Unicode, astral included, lone surrogates too). */
const validRequestId = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: MAX_REQUEST_ID }),
    fc.string({
      unit: fc.constantFrom('😀', 'é', 'r', '#', '\u0000', '\u0007', '\uffff'),
      maxLength: MAX_REQUEST_ID,
    }),
    fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: MAX_REQUEST_ID })
      .map((u) => String.fromCharCode(...u)),
  )
  .filter((s) => [...s].length <= MAX_REQUEST_ID);

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

  it('keeps a string action and any requestId of at most 64 characters ("", # and control characters too), and every field', () => {
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

  it('refuses a requestId that is not a string of at most 64 characters, naming it, with the action kept', () => {
    const badId = fc.oneof(
      fc
        .string({ minLength: MAX_REQUEST_ID + 1, maxLength: 200 })
        .filter((s) => [...s].length > MAX_REQUEST_ID),
      // 65 code points in 130 UTF-16 units, and 33 in 66 units: code points count, not units.
      fc.constant('😀'.repeat(MAX_REQUEST_ID + 1)),
      fc.jsonValue().filter((v) => typeof v !== 'string' && v !== null),
    );
    fc.assert(
      fc.property(fc.string(), badId, (action, requestId) => {
        const { error } = outcome(JSON.stringify({ action, requestId }));
        expectTypedRefusal(error);
        expect(error).toMatchObject({ code: 'BAD_REQUEST', action, requestId: null });
        expect(error.message).toBe('"requestId" must be a string of at most 64 characters.');
      }),
    );
  });

  it('accepts 64 emoji (128 UTF-16 units) as a requestId', () => {
    const id = '😀'.repeat(MAX_REQUEST_ID);
    expect(outcome(JSON.stringify({ action: 'ping', requestId: id })).frame?.requestId).toBe(id);
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
