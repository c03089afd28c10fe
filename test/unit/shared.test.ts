/** Fast unit tests of the pure pieces: ids, contract fields, frame parsing. */

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { ActionDef } from '../../lambdas/contract/action.ts';
import { sendMessage } from '../../lambdas/contract/actions/messages.ts';
import {
  bool,
  cleanName,
  id,
  idList,
  int,
  isoTime,
  messageText,
  optional,
  withDefault,
} from '../../lambdas/contract/fields.ts';
import { parseRequest } from '../../lambdas/contract/parse.ts';
import { newChatId, newMessageId, seqOfMessageId } from '../../lambdas/domain/ids.ts';
import { ChatError } from '../../lambdas/shared/errors.ts';
import { MAX_FRAME_BYTES, parseFrame } from '../../lambdas/shared/frames.ts';

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

/** Parses `value` as field `name` of a one-field object with `schema`. */
const field = (schema: v.GenericSchema, name: string, value: unknown) =>
  parseRequest({ name: 'x', request: v.object({ [name]: schema }) } as unknown as ActionDef, {
    [name]: value,
  }) as Record<string, unknown>;
const sentence = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    return error instanceof ChatError ? `${error.code}: ${error.message}` : 'THROWN';
  }
};

describe('contract fields', () => {
  it('accepts and returns good values', () => {
    expect(field(id, 'chatId', 'c_1').chatId).toBe('c_1');
    expect(field(messageText(10), 'text', ' hi ').text).toBe(' hi ');
    expect(field(optional(int(1, 100)), 'limit', undefined).limit).toBeUndefined();
    expect(field(optional(int(1, 100)), 'limit', null).limit).toBeUndefined();
    expect(field(withDefault(int(1, 100), 50), 'limit', null).limit).toBe(50);
    expect(field(int(1, 100), 'limit', 100).limit).toBe(100);
    expect(field(bool, 'isTyping', false).isTyping).toBe(false);
    expect(field(idList(1, 2), 'ids', ['a', 'b', 'a']).ids).toEqual(['a', 'b']);
    expect(field(messageText(10), 'text', 'a\n\tb').text).toBe('a\n\tb');
  });

  it.each([
    ['missing', id, 'chatId', undefined, '"chatId" is required.'],
    ['null', id, 'chatId', null, '"chatId" is required.'],
    ['a number', id, 'chatId', 5, '"chatId" must be a string, not a number.'],
    ['an object', id, 'chatId', {}, '"chatId" must be a string, not an object.'],
    ['empty', id, 'chatId', '', '"chatId" must not be empty.'],
    ['65 chars', id, 'chatId', 'x'.repeat(65), '"chatId" must be at most 64 characters.'],
    ['a #', id, 'chatId', 'a#b', '"chatId" contains characters that are not allowed.'],
    ['a NUL', id, 'chatId', 'a\u0000b', '"chatId" contains characters that are not allowed.'],
    ['padded', id, 'chatId', ' a', '"chatId" must not start or end with spaces.'],
    [
      'a lone surrogate',
      messageText(10),
      'text',
      'a\ud800',
      '"text" contains invalid unicode (a lone surrogate).',
    ],
    ['whitespace text', messageText(10), 'text', '  \n ', '"text" must not be empty.'],
    ['text over the limit', messageText(10), 'text', 'x'.repeat(11), '"text" must be at most 10 characters.'],
    [
      'an escape in text',
      messageText(10),
      'text',
      'a\u001b[31m',
      '"text" must not contain control characters (newline and tab are fine).',
    ],
    [
      'a bidi override in a name',
      cleanName(10),
      'name',
      'a\u202eb',
      '"name" must not contain control or bidirectional-override characters.',
    ],
    [
      'a newline in a name',
      cleanName(10),
      'name',
      'a\nb',
      '"name" must not contain control or bidirectional-override characters.',
    ],
    ['a float', int(1, 100), 'limit', 2.5, '"limit" must be a whole number, not 2.5.'],
    ['a numeric string', int(1, 100), 'limit', '5', '"limit" must be an integer, not a string.'],
    ['below the range', int(1, 100), 'limit', 0, '"limit" must be between 1 and 100.'],
    ['a string boolean', bool, 'isTyping', 'yes', '"isTyping" must be true or false, not a string.'],
    ['an empty id list', idList(1, 2), 'ids', [], '"ids" must hold at least 1 id.'],
    ['too many ids', idList(1, 2), 'ids', ['a', 'b', 'c'], '"ids" must hold at most 2 ids.'],
    ['a non-array', idList(1, 2), 'ids', 'a', '"ids" must be an array of ids, not a string.'],
    ['a non-string id', idList(1, 2), 'ids', ['a', 1], '"ids[1]" must be a string, not a number.'],
    [
      'a bad time',
      isoTime,
      'sendAt',
      'tomorrow',
      '"sendAt" must be an ISO 8601 time such as 2026-12-01T18:00:00Z.',
    ],
  ])('refuses %s with a BAD_REQUEST naming the field', (_name, schema, name, value, message) => {
    expect(sentence(() => field(schema as v.GenericSchema, name as string, value))).toBe(
      `BAD_REQUEST: ${message}`,
    );
  });

  it.each([
    '2027-02-30T00:00:00Z',
    '2027-02-29T12:00:00+05:00',
    '2028-02-30T00:00:00.500Z',
    '2027-04-31T23:30:00-02:00',
    '2027-11-31 08:00:00Z',
  ])('refuses %s, a date that does not exist, naming the field', (value) => {
    expect(sentence(() => field(isoTime, 'sendAt', value))).toBe(
      'BAD_REQUEST: "sendAt" must be a date that exists (that month has fewer days).',
    );
  });

  it('takes times that exist, at any offset, as written', () => {
    for (const t of [
      '2028-02-29T00:00:00Z',
      '2027-02-28T23:30:00-01:00',
      '2027-03-01T00:30:00+01:00',
      '2027-12-31T23:59:59.999999999+14:00',
      '2027-06-30 12:00:00Z',
    ]) {
      expect(field(isoTime, 'until', t).until).toBe(t);
    }
  });

  it('refuses a send whose clientMessageId takes the prefix of scheduled messages, naming the field', () => {
    const send = (clientMessageId: string) => () =>
      parseRequest(sendMessage, { chatId: 'c1', text: 'hi', clientMessageId });
    expect(sentence(send('sched_s_Jq0bX2mV7cT4rLk9Pz1wAg'))).toBe(
      'BAD_REQUEST: "clientMessageId" must not start with "sched_" (reserved for scheduled messages).',
    );
    expect(sentence(send('Sched_1'))).toBe('accepted');
    expect(sentence(send('my_sched_1'))).toBe('accepted');
  });

  it('counts text length in code points, so 4000 emoji fit', () => {
    expect(field(messageText(4000), 'text', '😀'.repeat(4000)).text).toHaveLength(8000);
    expect(sentence(() => field(messageText(4000), 'text', '😀'.repeat(4001)))).toMatch(/^BAD_REQUEST/);
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
    expect(code(() => parseFrame(`${'['.repeat(32_000)}${']'.repeat(32_000)}`))).toBe('BAD_REQUEST');
    expect(code(() => parseFrame(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe('PAYLOAD_TOO_LARGE');
  });
  it('counts a requestId in code points: 64 emoji (128 UTF-16 units) are kept, 65 refused', () => {
    const requestId = '😀'.repeat(64);
    expect(parseFrame(JSON.stringify({ action: 'ping', requestId })).requestId).toBe(requestId);
    expect(code(() => parseFrame(JSON.stringify({ action: 'ping', requestId: `${requestId}😀` })))).toBe(
      'BAD_REQUEST',
    );
  });
  it('refuses an oversize frame with PAYLOAD_TOO_LARGE whatever else is wrong with it', () => {
    const pad = 'x'.repeat(MAX_FRAME_BYTES);
    for (const body of [`not JSON ${pad}`, JSON.stringify([pad]), JSON.stringify({ pad, requestId: 7 })]) {
      expect(code(() => parseFrame(body))).toBe('PAYLOAD_TOO_LARGE');
    }
    expect(() => parseFrame(`{"action":"ping","requestId":"r3","pad":"${pad}"`)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', action: null, requestId: null }),
    );
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
  it('says the two limits: 64 KB a request, in frames of 32 KB (one bigger frame closes the socket)', () => {
    const body = JSON.stringify({ action: 'ping', pad: 'x'.repeat(MAX_FRAME_BYTES) });
    expect(() => parseFrame(body)).toThrow(
      'A request must be at most 64 KB, sent in frames of at most 32 KB.',
    );
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
      action: { name: 'x', summary: '', request: v.object({}), ack: v.object({}), reply: 'ack', events: [] },
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

describe('the route invocation', () => {
  it('is current for the action, so that work deep in the domain can stop in time', async () => {
    const { wsAction } = await import('../../lambdas/shared/ws-middleware.ts');
    const { currentBudget } = await import('../../lambdas/shared/budget.ts');
    let until: number | undefined;
    const handler = wsAction({
      action: { name: 'x', summary: '', request: v.object({}), ack: v.object({}), reply: 'ack', events: [] },
      run: async () => {
        await Promise.resolve();
        until = currentBudget(1_000)?.until;
        return {};
      },
    });
    const event = {
      body: '{"action":"x","requestId":"r"}',
      isBase64Encoded: false,
      requestContext: { routeKey: 'x', connectionId: 'c1', authorizer: { principalId: 'u1', userId: 'u1' } },
    };
    const before = Date.now();
    // biome-ignore lint/suspicious/noExplicitAny: a hand-built API Gateway event
    await handler(event as any, { getRemainingTimeInMillis: () => 7_000 } as any);
    expect(until).toBeGreaterThanOrEqual(before + 6_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 6_000);
    expect(currentBudget(0)).toBeUndefined(); // not outside it
  });
});
