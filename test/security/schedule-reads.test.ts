/**
 * What a `scheduleMessage` frame reads of its chat: the caller's membership and `META` by key, never
 * a group's member list. Before, every frame read the whole list (`getWithMembers`), refused ones
 * included, and nothing counted it (the limit has no `unitsPerFrame`): ~33 R a frame in a group of
 * 1,000, ~4,000 R a minute from a loop of frames refused at the 100-pending cap. Units as DynamoDB
 * Local reports them (test/support/metered-store.ts: a BatchGetItem key at 0.5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleMessage } from '../../lambdas/domain/scheduled.ts';
import { scheduledDeps } from '../../lambdas/domain/scheduled-deps.ts';
import { extended } from '../../lambdas/shared/env-use.ts';
import { closeAll, connectUser, makeDirect, makeGroup } from '../support/chat.ts';
import { type MeteredStore, meteredStore } from '../support/metered-store.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
let metered: MeteredStore;
beforeAll(() => {
  metered = meteredStore(stack);
});
afterAll(() => metered.close());

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

/** The units one scheduleMessage reads (the domain on the metered store), and its outcome. */
async function unitsOf(userId: string, input: { chatId: string; text: string; replyTo?: string }) {
  const deps = extended(scheduledDeps(), { store: metered.store });
  const before = metered.units();
  const outcome = await scheduleMessage(
    deps,
    { userId, name: userId },
    { ...input, sendAt: tomorrow(), connectionId: 'none' },
  ).then(
    () => 'stored',
    (error: { code?: string }) => error.code ?? 'error',
  );
  return { outcome, units: metered.units() - before };
}

describe('scheduleMessage reads', { timeout: 300_000 }, () => {
  it('in a group of 1,000, a schedule and a refused one read the membership and META, not the members', async () => {
    const owner = await connectUser(stack, uniqueId('own'));
    const group = await makeGroup(
      owner,
      Array.from({ length: 999 }, () => uniqueId('m')),
      'Big',
    );
    const stored = await unitsOf(owner.userId, { chatId: group.chatId, text: 'later' });
    expect(stored.outcome).toBe('stored');
    // Membership and META (0.5 each as metered), the author's sockets for `scheduled.created`.
    expect(stored.units).toBeLessThanOrEqual(3);
    const refused = await unitsOf(owner.userId, { chatId: group.chatId, text: 'x', replyTo: 'm_999999' });
    expect(refused.outcome).toBe('BAD_REQUEST');
    expect(refused.units).toBeLessThanOrEqual(2);
    // A non-member is refused on the two keys too.
    const stranger = await unitsOf(uniqueId('stranger'), { chatId: group.chatId, text: 'x' });
    expect(stranger).toEqual({ outcome: 'NOT_FOUND', units: 1 });
    await closeAll(stack, owner);
  });

  it('in a direct chat, a blocked member is still refused, and one whose peer left is not', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeDirect(ann, bob.userId);
    expect((await unitsOf(ann.userId, { chatId: chat.chatId, text: 'hi' })).outcome).toBe('stored');
    await bob.ok('blockUser', { userId: ann.userId });
    expect((await unitsOf(ann.userId, { chatId: chat.chatId, text: 'hi' })).outcome).toBe('FORBIDDEN');
    // Bob leaves: the block no longer names a member of the chat (as for a send).
    await bob.ok('removeMember', { chatId: chat.chatId, userId: bob.userId });
    expect((await unitsOf(ann.userId, { chatId: chat.chatId, text: 'hi' })).outcome).toBe('stored');
    await closeAll(stack, ann, bob);
  });
});
