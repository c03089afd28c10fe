/** Chat.members in order (joinedAt, then userId) in every ack and event that carries a chat, end to end. */
import { describe, expect, it } from 'vitest';
import { type Chat, connectUser, expectChatShape, forChat, getChat, makeGroup } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

describe('member order', () => {
  it('lists Chat.members by joinedAt, then userId, in every ack and event that carries a chat', async () => {
    // Ids chosen so that creator-first or request order differs from userId order.
    const creator = await connectUser(stack, uniqueId('zz-creator'), 'Zed');
    const peer = await connectUser(stack, uniqueId('aa-peer'), 'Abe');
    const mid = uniqueId('mm-mid');
    const late = uniqueId('bb-late');
    const seen: [string, Chat][] = [];
    const direct = (await creator.ok('createChat', { kind: 'direct', userId: peer.userId })).chat as Chat;
    seen.push(['createChat direct ack', direct]);
    seen.push([
      'chat.created (direct)',
      (await peer.event('chat.created', forChat(direct.chatId))).chat as Chat,
    ]);
    const again = (await peer.ok('createChat', { kind: 'direct', userId: creator.userId })).chat as Chat;
    seen.push(['createChat direct ack (existing)', again]);
    const group = await makeGroup(creator, [mid, peer.userId], 'Order');
    seen.push(['createChat group ack', group]);
    seen.push([
      'chat.created (group)',
      (await peer.event('chat.created', forChat(group.chatId))).chat as Chat,
    ]);
    const invited = (
      await creator.ok('invite', { chatId: group.chatId, userIds: [late, uniqueId('ab-late')] })
    ).chat as Chat;
    seen.push(['invite ack', invited]);
    const fromDirect = (await creator.ok('invite', { chatId: direct.chatId, userIds: [mid] })).chat as Chat;
    seen.push(['invite on a direct chat ack', fromDirect]);
    seen.push(['getChat', await getChat(peer, group.chatId)]);
    const unsorted = seen
      .filter(([, chat]) => {
        const order = chat.members.map((m) => `${m.joinedAt} ${m.userId}`);
        return order.join('|') !== [...order].sort().join('|');
      })
      .map(([where, chat]) => `${where}: ${chat.members.map((m) => m.userId).join(', ')}`);
    expect(unsorted).toEqual([]);
    for (const [, chat] of seen) expectChatShape(chat);
  });
});
