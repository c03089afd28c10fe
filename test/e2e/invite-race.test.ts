/**
 * A membership change commits only on the member list it read, in a group of any size: it requires
 * the chat's `memberVer` to be the one it read (lambdas/data/chats.ts). Before, a group under the
 * member log's size (100) required only the member count unchanged and its version newer, so an
 * invite that read the members, then saw one leave and another join (the count back where it was),
 * committed on its stale list: `member.joined` went to the one who had left and not to the one who
 * had joined. Now its write is refused, and the invite reads again and retries.
 *
 * The interleaving runs through real sockets on DynamoDB Local: the invite's read (spied on in this
 * process, where the local stack runs the handlers) returns only once the leave and the other invite
 * are done.
 */
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import { connectUser, eventsOf, makeGroup, settle } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const original = ChatRepository.prototype.getWithMembers;
let reads: MockInstance<ChatRepository['getWithMembers']>;

beforeAll(() => {
  reads = vi.spyOn(ChatRepository.prototype, 'getWithMembers');
});
afterAll(() => reads.mockRestore());

describe('an invite racing with a leave and another invite in a small group', { timeout: 60_000 }, () => {
  it('is written on the members as they are: member.joined reaches who joined, not who left', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const leaver = await connectUser(stack, uniqueId('leaver'));
    const joiner = await connectUser(stack, uniqueId('joiner'));
    const stays = await connectUser(stack, uniqueId('stays'));
    const chat = await makeGroup(owner, [leaver.userId, stays.userId], 'small');
    const newcomer = uniqueId('new');
    // The next read of the chat is the invite's: after it (before its version is allocated and its
    // write), one leaves and another joins; the invite goes on with what it read.
    let raced = false;
    reads.mockImplementation(async function (this: ChatRepository, ...args) {
      const read = await original.apply(this, args);
      if (!raced && args[0] === chat.chatId) {
        raced = true;
        await leaver.ok('removeMember', { chatId: chat.chatId, userId: leaver.userId });
        await owner.ok('invite', { chatId: chat.chatId, userIds: [joiner.userId] });
      }
      return read;
    });
    const ack = await owner.ok('invite', { chatId: chat.chatId, userIds: [newcomer] });
    reads.mockRestore();
    expect(raced).toBe(true);
    const members = (ack.chat as { members: { userId: string }[] }).members.map((m) => m.userId).sort();
    expect(members).toEqual([owner.userId, stays.userId, joiner.userId, newcomer].sort());
    await settle(stack, owner, leaver, joiner, stays);
    const joinedNewcomer = (f: Frame) => Array.isArray(f.userIds) && f.userIds.includes(newcomer);
    expect({
      joiner: eventsOf(joiner, 'member.joined', joinedNewcomer).length,
      stays: eventsOf(stays, 'member.joined', joinedNewcomer).length,
      leaver: eventsOf(leaver, 'member.joined', joinedNewcomer).length,
    }).toEqual({ joiner: 1, stays: 1, leaver: 0 });
  });
});
