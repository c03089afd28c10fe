/**
 * A member removed from a group (or who left) a moment before a message is never pushed that
 * message, even when the push function's eventually consistent read of the chat head comes from a
 * replica that has not applied the removal yet (lambdas/push/head.ts). On DynamoDB Local through
 * real sockets; the lag is made deterministic by a lagging replica (test/support/lagging-replica.ts):
 * the chat's partition as it was before the removal answers the eventually consistent reads.
 *
 * The planner runs on a store over that replica (the push function's own reads and nothing else);
 * what it plans is what `deliver` sends: each device's notification with the message's text.
 *
 * The same replica without the chat's `META` (a new chat's creation not applied yet, or a big group
 * whose `META` is written after its members) must not read as a deleted chat: its members are pushed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MESSAGE } from '../../lambdas/data/items.ts';
import { SK } from '../../lambdas/data/keys.ts';
import { MEMBER_LOG_FROM } from '../../lambdas/data/member-log.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { Counters } from '../../lambdas/pipeline/metrics.ts';
import { type PlannedPush, planPushes } from '../../lambdas/push/plan.ts';
import { closeAll, connectUser, makeGroup, sendText } from '../support/chat.ts';
import { LaggingReplica } from '../support/lagging-replica.ts';
import { offlineUser, register, twoDevices } from '../support/push.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
let replica: LaggingReplica;

beforeAll(async () => {
  replica = await LaggingReplica.start(stack);
});
afterAll(() => replica?.stop());

/** The push function's plan for a message, its reads through the lagging replica. */
async function planOn(store: ChatStore, chatId: string, seq: number) {
  const message = await table.store.messages.get(chatId, seq, { consistent: true });
  if (!message) throw new Error(`no message ${seq}`);
  const counters = new Counters('test');
  const planned = await planPushes({ store, now: () => new Date() }, MESSAGE.toItem(message), counters);
  return { planned, counters };
}

const usersOf = (planned: readonly PlannedPush[]) => [...new Set(planned.map((p) => p.device.userId))].sort();
const textTo = (planned: readonly PlannedPush[], userId: string) =>
  planned.filter((p) => p.device.userId === userId).map((p) => p.content.body);

describe('a member removed just before a message', () => {
  /** A group of alice (online, the sender), bob and carol (offline with devices), head frozen. */
  async function laggingGroup() {
    const alice = await connectUser(stack, uniqueId('alice'));
    const bob = await offlineUser(stack);
    const carol = await offlineUser(stack);
    const chat = await makeGroup(alice, [bob.userId, carol.userId], 'Team');
    await replica.freeze(`CHAT#${chat.chatId}`);
    const store = new ChatStore(replica.doc, stack.tableName);
    const head = vi.spyOn(store.chats, 'getWithMembers');
    const consistentHeadReads = () => head.mock.calls.filter(([, options]) => options?.consistent).length;
    return { alice, bob, carol, chat, store, consistentHeadReads };
  }

  it('is not pushed its text, though the head read lags behind the removal', async () => {
    const { alice, bob, carol, chat, store, consistentHeadReads } = await laggingGroup();
    await alice.ok('removeMember', { chatId: chat.chatId, userId: bob.userId });
    const secret = await sendText(alice, chat.chatId, 'the new launch code is 4711');
    // The replica still lists bob: the push function's head read predates the removal.
    const lagging = await store.chats.getWithMembers(chat.chatId);
    expect(lagging.members.map((m) => m.userId)).toContain(bob.userId);

    const { planned, counters } = await planOn(store, chat.chatId, secret.seq);
    expect(textTo(planned, bob.userId)).toEqual([]);
    expect(usersOf(planned)).toEqual([carol.userId]);
    expect(textTo(planned, carol.userId)).toEqual([secret.text, secret.text]);
    // A small group has no member log: its head was read again, consistently, once.
    expect(counters.get('PushHeadRechecked')).toBe(1);
    expect(consistentHeadReads()).toBe(1);
    await closeAll(stack, alice);
  });

  it('costs one GetItem more only when the head read predates the message', async () => {
    const { alice, bob, carol, chat, store, consistentHeadReads } = await laggingGroup();
    // The replica lags, the members have not changed: both get it, and the members are not read again.
    const message = await sendText(alice, chat.chatId, 'lunch at one?');
    const lagging = await planOn(store, chat.chatId, message.seq);
    expect(usersOf(lagging.planned)).toEqual([bob.userId, carol.userId].sort());
    expect(lagging.counters.get('PushHeadRechecked')).toBe(1);
    expect(consistentHeadReads()).toBe(0);
    // A head read that has the message (the common case) reads nothing more.
    const fresh = await planOn(table.store, chat.chatId, message.seq);
    expect(fresh.counters.get('PushHeadRechecked')).toBe(0);
    expect(usersOf(fresh.planned)).toEqual([bob.userId, carol.userId].sort());
    await closeAll(stack, alice);
  });

  it('who left a big group is not pushed it either (its member log brings the head up to date)', {
    timeout: 60_000,
  }, async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const leaver = await connectUser(stack, uniqueId('leaver'));
    await register(leaver, twoDevices());
    const stays = await offlineUser(stack);
    const others = Array.from({ length: MEMBER_LOG_FROM - 2 }, (_, i) => uniqueId(`m${i}`));
    const chat = await makeGroup(owner, [leaver.userId, stays.userId, ...others], 'Big');
    expect(chat.memberCount).toBe(MEMBER_LOG_FROM + 1);
    await replica.freeze(`CHAT#${chat.chatId}`);
    const store = new ChatStore(replica.doc, stack.tableName);
    const head = vi.spyOn(store.chats, 'getWithMembers');

    await leaver.ok('removeMember', { chatId: chat.chatId, userId: leaver.userId });
    await closeAll(stack, leaver); // offline, with devices
    const secret = await sendText(owner, chat.chatId, 'now that they are gone: the plan');
    const lagging = await store.chats.getWithMembers(chat.chatId);
    expect(lagging.members.map((m) => m.userId)).toContain(leaver.userId);
    head.mockClear();

    const { planned } = await planOn(store, chat.chatId, secret.seq);
    expect(textTo(planned, leaver.userId)).toEqual([]);
    expect(usersOf(planned)).toEqual([stays.userId]);
    // Replayed from the log: the 100 members were not read again.
    expect(head.mock.calls.filter(([, options]) => options?.consistent)).toEqual([]);
    await closeAll(stack, owner);
  });
});

describe('a chat whose META the head read does not see yet', () => {
  it('is read again consistently, not taken for a deleted chat: its offline members are pushed', async () => {
    const alice = await connectUser(stack, uniqueId('alice'));
    const bob = await offlineUser(stack);
    const chat = await makeGroup(alice, [bob.userId], 'Fresh');
    await replica.freeze(`CHAT#${chat.chatId}`, { unapplied: [SK.chat] });
    const store = new ChatStore(replica.doc, stack.tableName);
    const first = await sendText(alice, chat.chatId, 'first message');
    expect((await store.chats.getWithMembers(chat.chatId)).chat).toBeUndefined();

    const { planned, counters } = await planOn(store, chat.chatId, first.seq);
    expect(usersOf(planned)).toEqual([bob.userId]);
    expect(textTo(planned, bob.userId)).toEqual([first.text, first.text]);
    expect(counters.get('PushSkippedGone')).toBe(0);
    expect(counters.get('PushHeadRechecked')).toBe(1);
    await closeAll(stack, alice);
  });

  it('is gone when the consistent read finds no META either (a deleted chat)', async () => {
    const alice = await connectUser(stack, uniqueId('alice'));
    const bob = await offlineUser(stack);
    const chat = await makeGroup(alice, [bob.userId], 'Short-lived');
    const message = await sendText(alice, chat.chatId, 'soon gone');
    await alice.ok('deleteChat', { chatId: chat.chatId });
    const { planned, counters } = await planOn(table.store, chat.chatId, message.seq);
    expect(planned).toEqual([]);
    expect(counters.get('PushSkippedGone')).toBe(1);
    await closeAll(stack, alice);
  });
});
