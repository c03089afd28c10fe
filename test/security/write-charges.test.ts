/**
 * Writes whose reads grow with the request or the chat count by what they read, as the expensive
 * reads do (lambdas/shared/rate-limits.ts `unitsPerFrame`: `createChat`, `invite`, `removeMember`,
 * `deleteChat`). Before, each counted one frame whatever it read: `createChat` of full groups checks
 * every member (the membership cap's count of their chats, their block items, their profiles), and a
 * user at its 20 a minute made the table read up to ~310,000 units a minute (docs/security.md "Reads
 * are limited too"). The charge comes after the frame ran (a debt): a write that happened is never
 * refused, the next frames are.
 */

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import { closeAll, connectUser, makeDirect, makeGroup } from '../support/chat.ts';
import { limitOf } from '../support/rate-limit.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
const table = useTableStore(stack);

/** `userId`'s current window of `action`: when it started and the frames it has counted. */
async function windowOf(userId: string, action: string): Promise<{ windowStart: number; count: number }> {
  const window = (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === action);
  return { windowStart: Number(window?.windowStart ?? 0), count: Number(window?.count ?? 0) };
}

const framesOf = async (userId: string, action: string) => (await windowOf(userId, action)).count;

describe('writes are charged by what they read', { timeout: 600_000 }, () => {
  it('a full group counts as several frames, and one that overdraws the window refuses the next createChat', async () => {
    const owner = await connectUser(stack, uniqueId('maker'));
    const limit = limitOf('createChat');
    const memberIds = Array.from({ length: 999 }, () => uniqueId('m'));
    const group = (name: string) => owner.request('createChat', { kind: 'group', name, memberIds }, 60_000);
    // The first group: its 999 people are in no chat yet, so counting their chats reads next to
    // nothing (DynamoDB Local counts no unit for an item it does not find): one frame.
    expect((await group('First')).type).toBe('ack');
    const first = await windowOf(owner.userId, 'createChat');
    expect(first.count).toBe(1);
    // The second: each is in a chat now (~0.5 R each: ~500 R, 3 frames at 250 R a frame).
    expect((await group('Second')).type).toBe('ack');
    const second = await windowOf(owner.userId, 'createChat');
    const added = second.windowStart === first.windowStart ? second.count - first.count : second.count;
    expect(added).toBeGreaterThanOrEqual(3);

    // Near the limit (as if 19 frames had gone just now): a full group is still admitted (its
    // charge comes after it ran, never a refusal of what was done), overdraws the window, and the
    // debt pushes the window later: the next createChat, a direct chat, is refused.
    const presetStart = Date.now();
    await table.doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.rateLimit(owner.userId, 'createChat'),
          windowStart: presetStart,
          count: limit.max - 1,
        },
      }),
    );
    expect((await group('Third')).type).toBe('ack');
    const overdrawn = await windowOf(owner.userId, 'createChat');
    expect(overdrawn.count).toBe(limit.max);
    expect(overdrawn.windowStart).toBeGreaterThan(presetStart);
    const refused = await owner.request('createChat', { kind: 'direct', userId: uniqueId('peer') });
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMITED', action: 'createChat' });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(String(refused.message)).toMatch(
      /^Too many createChat requests: at most 20 every 60 s \(one that reads much counts as several\)\./,
    );
    // Every group acknowledged exists, and the refused direct chat created nothing.
    expect(await table.store.chats.countMemberships(owner.userId)).toBe(3);
    // Other actions have limits of their own: the socket stays usable.
    expect((await owner.request('listChats', { limit: 1 })).type).toBe('ack');
    await closeAll(stack, owner);
  });

  it('an ordinary createChat, invite, removal and deletion each count one frame', async () => {
    const owner = await connectUser(stack, uniqueId('plain'));
    const peer = await connectUser(stack, uniqueId('peer'));
    await makeDirect(owner, peer.userId);
    const group = await makeGroup(owner, [peer.userId, uniqueId('m'), uniqueId('m')]);
    expect(await framesOf(owner.userId, 'createChat')).toBe(2);
    await owner.ok('invite', { chatId: group.chatId, userIds: [uniqueId('i'), uniqueId('i')] });
    expect(await framesOf(owner.userId, 'invite')).toBe(1);
    await owner.ok('removeMember', { chatId: group.chatId, userId: peer.userId });
    expect(await framesOf(owner.userId, 'removeMember')).toBe(1);
    await owner.ok('deleteChat', { chatId: group.chatId });
    expect(await framesOf(owner.userId, 'deleteChat')).toBe(1);
    await closeAll(stack, owner, peer);
  });
});
