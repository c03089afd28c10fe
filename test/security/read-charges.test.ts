/**
 * Expensive reads count by what they read (lambdas/shared/rate-limits.ts `unitsPerFrame`): a frame
 * that makes the table read more than a normal page counts as several frames of its limit, so one
 * user's reads per minute are bounded (docs/security.md "Reads are limited too"). Before, every
 * frame counted one: a user looping `sync` over a chat of their own holding 101 messages of 4,000
 * characters (~410 read units a page) could send 1,200 a minute, ~490,000 read units a minute.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import { store } from '../../lambdas/data/store.ts';
import { closeAll, connectUser, makeDirect, makeGroup, sendText } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { limitOf } from '../support/rate-limit.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);

/** 4,000 characters of 3 bytes each: a message item of ~12 KB, the contract's largest text. */
const BIG_TEXT = '語'.repeat(4000);

describe('reads are charged by their units', { timeout: 400_000 }, () => {
  it('a loop of heavy syncs is refused long before the frame limit; the socket stays usable', async () => {
    const reader = await connectUser(stack, uniqueId('heavy'));
    const peer = await connectUser(stack, uniqueId('peer'));
    const { chatId } = await makeDirect(reader, peer.userId);
    for (let i = 0; i < 101; i++) {
      await reader.ok('sendMessage', { chatId, text: BIG_TEXT, clientMessageId: `big-${i}` });
    }
    const limit = limitOf('sync');
    // A fresh window that cannot turn while the loop runs, however slow the machine (under load the
    // loop can outlast a real 60 s window, and a new window would answer more pages): opened, with
    // nothing counted, 10 minutes from now, so the window stays current for the whole test.
    await table.doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...keys.rateLimit(reader.userId, 'sync'), windowStart: Date.now() + 600_000, count: 0 },
      }),
    );
    // Four at a time, as the client's pool does, until refused (or the old limit is reached).
    const replies: Frame[] = [];
    while (replies.length < limit.max && !replies.some((r) => r.code === 'RATE_LIMITED')) {
      replies.push(
        ...(await Promise.all(
          [1, 2, 3, 4].map(() => reader.request('sync', { chatId, sinceVer: 0, limit: 100 })),
        )),
      );
    }
    const acks = replies.filter((r) => r.type === 'ack');
    const limited = replies.filter((r) => r.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    // Each page reads ~400 units (16 frames at 25 units a frame): ~75 pages in the window, not 1,200.
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.length).toBeLessThan(limit.max / 10);
    for (const r of limited) {
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(String(r.message)).toMatch(/too many sync requests/i);
    }
    // Other actions have limits of their own: the socket stays usable.
    expect((await reader.request('history', { chatId, limit: 1 })).type).toBe('ack');
    await closeAll(stack, reader, peer);
  });

  it('readMessage counts by what it reads: a message of ~70 KB counts several frames, an ordinary one one', async () => {
    // Before, every readMessage counted one frame: the message is read strongly consistently on
    // every frame, also when the cursor does not move (~17 R at ~70 KB), 300 a minute.
    const [reader, other, peer] = [
      await connectUser(stack, uniqueId('reader')),
      await connectUser(stack, uniqueId('other')),
      await connectUser(stack, uniqueId('peer')),
    ];
    const { chatId } = await makeGroup(peer, [reader.userId, other.userId]);
    const plain = await sendText(peer, chatId, 'short');
    const big = (await peer.ok('sendMessage', { chatId, text: '😀'.repeat(4000) })).message as {
      messageId: string;
      seq: number;
    };
    // Its reaction summary at its bound (20 emoji of 20 ids of 128 bytes), written straight to the
    // item: ~51 KB, ~67 KB with the text.
    const reactions = Array.from({ length: 20 }, (_, e) => ({
      emoji: String.fromCodePoint(0x1f600 + e),
      count: 20,
      userIds: Array.from({ length: 20 }, (_, u) => `${e}-${u}-`.padEnd(128, 'x')),
    }));
    await table.doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.message(chatId, big.seq),
        UpdateExpression: 'SET reactions = :r',
        ExpressionAttributeValues: { ':r': reactions },
      }),
    );
    const frames = async (userId: string) =>
      Number((await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === 'readMessage')?.count ?? 0);
    // Each reader's first frame of the window is leased alone: the count is what it was charged.
    await other.ok('readMessage', { chatId, messageId: plain.messageId });
    expect(await frames(other.userId)).toBe(1);
    await reader.ok('readMessage', { chatId, messageId: big.messageId });
    const charged = await frames(reader.userId);
    expect(charged).toBeGreaterThanOrEqual(2);
    // A loop over it (the cursor no longer moves) is refused long before the frame limit.
    const limit = limitOf('readMessage');
    const replies: Frame[] = [];
    while (replies.length < limit.max && !replies.some((r) => r.code === 'RATE_LIMITED')) {
      replies.push(
        ...(await Promise.all(
          [1, 2, 3, 4].map(() => reader.request('readMessage', { chatId, messageId: big.messageId })),
        )),
      );
    }
    expect(replies.filter((r) => r.code === 'RATE_LIMITED').length).toBeGreaterThan(0);
    // ~19 R a frame (2 frames of 10 R): at most 150 of the 300.
    expect(replies.filter((r) => r.type === 'ack').length).toBeLessThanOrEqual(limit.max / 2);
    await closeAll(stack, reader, other, peer);
  });

  it('cheap reads count one frame each: a sync page of a few short messages charges nothing more', async () => {
    const reader = await connectUser(stack, uniqueId('light'));
    const peer = await connectUser(stack, uniqueId('peer'));
    const { chatId } = await makeDirect(reader, peer.userId);
    for (let i = 0; i < 5; i++)
      await reader.ok('sendMessage', { chatId, text: `short ${i}`, clientMessageId: `s-${i}` });
    const limit = limitOf('sync');
    // The whole window, in frames of a few units each: every one answered.
    const replies: Frame[] = [];
    for (let i = 0; i < limit.max; i += 8) {
      replies.push(
        ...(await Promise.all(
          Array.from({ length: 8 }, () => reader.request('sync', { chatId, sinceVer: 0, limit: 100 })),
        )),
      );
    }
    expect(replies.filter((r) => r.type !== 'ack')).toEqual([]);
    await closeAll(stack, reader, peer);
  });

  it('a sync of a big group the container does not hold reads no member list for an answer without one', async () => {
    // Before, a container that did not hold the group read its whole list (1,000 members: ~75 R,
    // 3 frames of 25 R) whenever a member synced, even for `members: null`.
    const owner = await connectUser(stack, uniqueId('own'));
    const ids = Array.from({ length: 999 }, () => uniqueId('m'));
    const chat = await makeGroup(owner, ids);
    await sendText(owner, chat.chatId, 'hello');
    const reader = await connectUser(stack, ids[0] as string);
    const frames = async () =>
      Number((await stack.items(`LIMIT#${reader.userId}`)).find((i) => i.sk === 'sync')?.count ?? 0);
    const sinceVer = Number(chat.lastVer ?? 0);
    store().heads.forget(chat.chatId); // an instance that never read this chat
    const before = await frames();
    const ack = await reader.ok('sync', { chatId: chat.chatId, sinceVer, limit: 100 });
    expect(ack.members).toBeNull();
    expect((ack.messages as { text: string }[]).map((m) => m.text)).toEqual(['hello']);
    expect((await frames()) - before).toBe(1);
    // An answer that carries the members still lists them (from version 0: they changed since).
    store().heads.forget(chat.chatId);
    const full = await reader.ok('sync', { chatId: chat.chatId, sinceVer: 0, limit: 1 });
    expect((full.members as unknown[]).length).toBeGreaterThan(0);
    expect(full.memberCount).toBe(1000);
    await closeAll(stack, owner, reader);
  });
});
