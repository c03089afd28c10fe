/**
 * Fields the customer's contract allows that the server once refused, end to end through the local
 * gateway: a `requestId` is any string of at most 64 characters and is echoed (an over-long or
 * non-string one is BAD_REQUEST with `requestId: null`, naming it); a `clientMessageId` may hold `#`;
 * `editMessage` takes `text: ""` on a message with attachments (removing its caption), and refuses it
 * on one without (BAD_REQUEST naming "text", nothing written); `listBlocked` without fields answers
 * every blocked id that fits one frame, with a cursor only when it was cut.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK } from '../../lambdas/data/items.ts';
import {
  connectUser,
  expectRefused,
  forChat,
  history,
  type Message,
  makeDirect,
  sendText,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { FILES, sendWith, uploadFile } from '../support/media.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let alice: UserSocket;
let bob: UserSocket;
/** alice ↔ bob */
let ab: string;

beforeAll(async () => {
  alice = await connectUser(stack, uniqueId('alice'));
  bob = await connectUser(stack, uniqueId('bob'));
  ab = (await makeDirect(alice, bob.userId)).chatId;
});

/** Sends `frame` as is and waits for the first ack or error after it whose requestId is `echo`. */
async function replyTo(socket: UserSocket, frame: Record<string, unknown>, echo: unknown): Promise<Frame> {
  const mark = socket.frames.length;
  socket.send(frame);
  return socket.waitFor(
    (f) =>
      socket.frames.indexOf(f) >= mark &&
      ['ack', 'error', 'pong'].includes(String(f.type)) &&
      f.requestId === echo,
  );
}

describe('requestId', () => {
  it.each([
    ['with #', 'req#1'],
    ['empty', ''],
    ['of spaces', '   '],
    ['with a control character', 'r\u0007q'],
    ['of 64 emoji', '😀'.repeat(64)],
    ['with U+FFFF', 'r\uffff'],
  ])('is echoed when %s', async (_, requestId) => {
    const reply = await replyTo(alice, { action: 'getChat', chatId: ab, requestId }, requestId);
    expect(reply).toMatchObject({ type: 'ack', action: 'getChat', requestId, chat: { chatId: ab } });
  });

  it('is echoed by a ping and by an error', async () => {
    expect(await replyTo(alice, { action: 'ping', requestId: 'p#1' }, 'p#1')).toEqual({
      type: 'pong',
      action: 'ping',
      requestId: 'p#1',
    });
    const refused = await replyTo(alice, { action: 'getChat', chatId: 'nope', requestId: '' }, '');
    expect(refused).toMatchObject({ type: 'error', code: 'NOT_FOUND', requestId: '' });
  });

  it.each([
    ['of 65 characters', 'r'.repeat(65)],
    ['a number', 7],
    ['an object', { id: 'r1' }],
  ])('is BAD_REQUEST naming it, with requestId null and nothing written, when %s', async (_, requestId) => {
    const before = await stack.items(`CHAT#${ab}`);
    const reply = await replyTo(alice, { action: 'sendMessage', chatId: ab, text: 'hi', requestId }, null);
    expect(reply).toEqual({
      type: 'error',
      action: 'sendMessage',
      requestId: null,
      code: 'BAD_REQUEST',
      message: '"requestId" must be a string of at most 64 characters.',
    });
    await stack.gateway.idle();
    expect(await stack.items(`CHAT#${ab}`)).toEqual(before);
  });
});

describe('clientMessageId', () => {
  it('may hold "#": stored once, repeated as a duplicate, distinct from its prefixes', async () => {
    const base = uniqueId('draft');
    const send = (clientMessageId: string, text: string) =>
      alice.ok('sendMessage', { chatId: ab, text, clientMessageId });
    const first = await send(`${base}#7`, 'seven');
    expect(first).toMatchObject({
      duplicate: false,
      message: { clientMessageId: `${base}#7`, text: 'seven' },
    });
    const again = await send(`${base}#7`, 'seven again');
    expect(again).toMatchObject({
      duplicate: true,
      message: { messageId: (first.message as Message).messageId },
    });
    const others = [
      await send(base, 'bare'),
      await send(`${base}#`, 'hash'),
      await send(`${base}#7#`, 'more'),
    ];
    for (const ack of others) expect(ack.duplicate).toBe(false);
    const ids = new Set([first, ...others].map((a) => (a.message as Message).messageId));
    expect(ids.size).toBe(4);
  });

  it('keeps refusing what is not safe (control characters, U+FFFF, the reserved prefix), writing nothing', async () => {
    for (const clientMessageId of ['a\u0000b', 'a\uffff', 'sched_x#1', '', 'x'.repeat(65)]) {
      await expectRefused(
        stack,
        alice,
        'sendMessage',
        { chatId: ab, text: 'no', clientMessageId },
        'BAD_REQUEST',
        {
          message: /"clientMessageId"/,
        },
      );
    }
  });
});

describe('editMessage with text ""', () => {
  it('removes the caption of a message with attachments', async () => {
    const uploadId = await uploadFile(alice, ab, FILES.png(), 'image/png', 'p.png');
    const sent = await sendWith(alice, ab, [uploadId], 'a caption');
    const updated = bob.event('message.updated', forChat(ab));
    const ack = await alice.ok('editMessage', { chatId: ab, messageId: sent.messageId, text: '' });
    expect(ack.message).toMatchObject({
      messageId: sent.messageId,
      text: '',
      attachments: [{ kind: 'image' }],
    });
    expect((ack.message as Message).editedAt).not.toBeNull();
    expect((await updated).message).toMatchObject({ messageId: sent.messageId, text: '' });
    const {
      messages: [stored],
    } = await history(bob, ab, { after: sent.seq - 1, limit: 1 });
    expect(stored).toMatchObject({ messageId: sent.messageId, text: '' });
  });

  it('is BAD_REQUEST naming "text" on a message without attachments, writing nothing', async () => {
    const sent = await sendText(alice, ab, 'no attachments');
    for (const text of ['', '  ']) {
      await expectRefused(
        stack,
        alice,
        'editMessage',
        { chatId: ab, messageId: sent.messageId, text },
        'BAD_REQUEST',
        {
          message: /^"text" /,
        },
      );
    }
    const {
      messages: [stored],
    } = await history(alice, ab, { after: sent.seq - 1, limit: 1 });
    expect(stored).toMatchObject({ text: 'no attachments', editedAt: null });
  });
});

/** Block items written straight into the table (listBlocked reads them; no count is needed). */
async function blocked(blockerId: string, blockedIds: readonly string[]): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const createdAt = new Date().toISOString();
  for (let i = 0; i < blockedIds.length; i += 25) {
    let pending: Record<string, unknown>[] | undefined = blockedIds.slice(i, i + 25).map((blockedId) => ({
      PutRequest: { Item: BLOCK.toItem({ blockerId, blockedId, createdAt }) },
    }));
    while (pending && pending.length > 0) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: pending } }));
      pending = out.UnprocessedItems?.[stack.tableName] as Record<string, unknown>[] | undefined;
    }
  }
  doc.destroy();
}

describe('listBlocked without fields', () => {
  it('answers every blocked id (120 of them) in one frame, nextCursor null', async () => {
    const gina = await connectUser(stack, uniqueId('gina'));
    const ids = Array.from({ length: 120 }, (_, i) => `${uniqueId('b')}-${i}`).sort();
    await blocked(gina.userId, ids);
    expect(await gina.ok('listBlocked')).toEqual({
      type: 'ack',
      action: 'listBlocked',
      requestId: expect.any(String),
      userIds: ids,
      nextCursor: null,
    });
    // Paging still works for those who ask for it.
    const page = await gina.ok('listBlocked', { limit: 50 });
    expect(page.userIds).toEqual(ids.slice(0, 50));
    const next = await gina.ok('listBlocked', { limit: 100, cursor: page.nextCursor });
    expect(next.userIds).toEqual(ids.slice(50));
  });

  it('cuts a list that would not fit one frame (1,000 ids of 64 emoji), with a cursor to the rest', async () => {
    const hal = await connectUser(stack, uniqueId('hal'));
    const ids = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}${'😀'.repeat(60)}`);
    await blocked(hal.userId, ids);
    const first = await hal.ok('listBlocked');
    const got = first.userIds as string[];
    expect(got.length).toBeGreaterThan(300);
    expect(got.length).toBeLessThan(1000);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThan(128 * 1024);
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest: string[] = [];
    let cursor = first.nextCursor as string | null;
    for (let i = 0; cursor !== null && i < 5; i++) {
      const ack = await hal.ok('listBlocked', { cursor });
      rest.push(...(ack.userIds as string[]));
      cursor = ack.nextCursor as string | null;
    }
    expect(cursor).toBeNull();
    expect([...got, ...rest]).toEqual(ids);
  });
});
