/** Fast unit tests of the pure pieces: ids, validators, frame parsing. */
import { describe, expect, it } from 'vitest';
import { newChatId, newMessageId, seqOfMessageId } from '../../lambdas/domain/ids.ts';
import { ChatError } from '../../lambdas/shared/errors.ts';
import {
  optionalBoolean,
  optionalInt,
  requiredId,
  requiredIdArray,
  requiredString,
} from '../../lambdas/shared/validate.ts';
import { MAX_FRAME_BYTES, parseFrame } from '../../lambdas/shared/ws-middleware.ts';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof ChatError ? error.code : 'THROWN';
  }
};

describe('ids', () => {
  it('round-trips the seq through a messageId', () => {
    for (const seq of [1, 35, 36, 1_000_000, 999_999_999_999]) {
      expect(seqOfMessageId(newMessageId(seq))).toBe(seq);
    }
  });
  it('makes distinct ids for the same seq (unique across chats)', () => {
    expect(newMessageId(7)).not.toBe(newMessageId(7));
    expect(newChatId()).not.toBe(newChatId());
  });
  it.each(['', 'm1', 'mZZ_aaaaaaaaaaaa', 'x1_aaaaaaaaaaaa', 'm0_aaaaaaaaaaaa', 'm1_aaaa', '__proto__'])(
    'resolves %j to no seq',
    (id) => {
      expect(seqOfMessageId(id)).toBeUndefined();
    },
  );
});

describe('validators', () => {
  it('accepts and returns good values', () => {
    expect(requiredId({ chatId: 'c_1' }, 'chatId')).toBe('c_1');
    expect(requiredString({ text: ' hi ' }, 'text', { max: 10 })).toBe(' hi ');
    expect(optionalInt({}, 'limit', 1, 100)).toBeUndefined();
    expect(optionalInt({ limit: 100 }, 'limit', 1, 100)).toBe(100);
    expect(optionalBoolean({ isTyping: false }, 'isTyping')).toBe(false);
    expect(requiredIdArray({ ids: ['a', 'b', 'a'] }, 'ids', 1, 2)).toEqual(['a', 'b']);
  });

  it.each([
    ['missing', () => requiredId({}, 'chatId')],
    ['a number', () => requiredId({ chatId: 5 }, 'chatId')],
    ['an object', () => requiredId({ chatId: {} }, 'chatId')],
    ['empty', () => requiredId({ chatId: '' }, 'chatId')],
    ['65 chars', () => requiredId({ chatId: 'x'.repeat(65) }, 'chatId')],
    ['a #', () => requiredId({ chatId: 'a#b' }, 'chatId')],
    ['a NUL', () => requiredId({ chatId: 'a\u0000b' }, 'chatId')],
    ['padded', () => requiredId({ chatId: ' a' }, 'chatId')],
    ['a lone surrogate', () => requiredString({ text: 'a\ud800' }, 'text', { max: 10 })],
    ['whitespace text', () => requiredString({ text: '  \n ' }, 'text', { max: 10 })],
    ['text over the limit', () => requiredString({ text: 'x'.repeat(11) }, 'text', { max: 10 })],
    ['a float', () => optionalInt({ limit: 1.5 }, 'limit', 1, 100)],
    ['a numeric string', () => optionalInt({ limit: '5' }, 'limit', 1, 100)],
    ['below the range', () => optionalInt({ limit: 0 }, 'limit', 1, 100)],
    ['a string boolean', () => optionalBoolean({ isTyping: 'yes' }, 'isTyping')],
    ['an empty id list', () => requiredIdArray({ ids: [] }, 'ids', 1, 2)],
    ['too many ids', () => requiredIdArray({ ids: ['a', 'b', 'c'] }, 'ids', 1, 2)],
    ['a non-array', () => requiredIdArray({ ids: 'a' }, 'ids', 1, 2)],
    ['a non-string id', () => requiredIdArray({ ids: ['a', 1] }, 'ids', 1, 2)],
  ])('refuses %s with BAD_REQUEST', (_name, fn) => {
    expect(code(fn)).toBe('BAD_REQUEST');
  });

  it('counts text length in code points, so 4000 emoji fit', () => {
    expect(requiredString({ text: '😀'.repeat(4000) }, 'text', { max: 4000 })).toHaveLength(8000);
    expect(code(() => requiredString({ text: '😀'.repeat(4001) }, 'text', { max: 4000 }))).toBe(
      'BAD_REQUEST',
    );
  });
});

describe('parseFrame', () => {
  it('extracts action, requestId and fields', () => {
    expect(parseFrame('{"action":"ping","requestId":"r1","x":1}')).toEqual({
      action: 'ping',
      requestId: 'r1',
      fields: { action: 'ping', requestId: 'r1', x: 1 },
    });
  });
  it('decodes base64 bodies', () => {
    const body = Buffer.from('{"action":"ping"}').toString('base64');
    expect(parseFrame(body, true).action).toBe('ping');
  });
  it.each(['', 'nope', '[]', '1', 'null', '"s"'])('refuses %j with BAD_REQUEST', (body) => {
    expect(code(() => parseFrame(body))).toBe('BAD_REQUEST');
  });
  it('refuses deep nesting without crashing', () => {
    expect(code(() => parseFrame(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe('BAD_REQUEST');
  });
  it('refuses oversize frames with PAYLOAD_TOO_LARGE, keeping the requestId', () => {
    const body = JSON.stringify({ action: 'ping', requestId: 'r2', pad: 'x'.repeat(MAX_FRAME_BYTES) });
    try {
      parseFrame(body);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', requestId: 'r2', action: 'ping' });
    }
  });
  it('keeps __proto__ as plain data', () => {
    const frame = parseFrame('{"action":"ping","__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(frame.fields)).toBe(Object.prototype);
  });
});

describe('error frames', () => {
  const event = (body: string) => ({
    body,
    isBase64Encoded: false,
    requestContext: { routeKey: 'x', connectionId: 'c1', authorizer: { principalId: 'u1', userId: 'u1' } },
  });
  const run = async (error: Error) => {
    const { wsAction } = await import('../../lambdas/shared/ws-middleware.ts');
    const handler = wsAction({
      action: 'x',
      parse: () => undefined,
      run: async () => {
        throw error;
      },
    });
    // biome-ignore lint/suspicious/noExplicitAny: a hand-built API Gateway event
    const out = await handler(event('{"action":"x","requestId":"r"}') as any, {} as any);
    return JSON.parse(String(out.body));
  };

  it('maps typed errors to their code and message', async () => {
    expect(await run(new ChatError('FORBIDDEN', 'No.'))).toEqual({
      type: 'error',
      action: 'x',
      requestId: 'r',
      code: 'FORBIDDEN',
      message: 'No.',
    });
  });
  it('maps AWS throttling to RATE_LIMITED', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    expect((await run(throttled)).code).toBe('RATE_LIMITED');
  });
  it('maps anything else to INTERNAL without leaking internals', async () => {
    const frame = await run(new Error('ECONNREFUSED 127.0.0.1:8000 at /var/task/index.mjs:1:2'));
    expect(frame.code).toBe('INTERNAL');
    expect(JSON.stringify(frame)).not.toMatch(/ECONNREFUSED|var\/task|stack/);
  });
});
