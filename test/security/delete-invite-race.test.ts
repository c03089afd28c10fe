/**
 * Issue 17, item 3 (integrity): `deleteChat` racing `invite` must never leave an invitee who can
 * still read the deleted chat. The owner sends both at once from two sockets, 20 times; afterwards the
 * chat is gone for everyone: no membership item is left in its partition, the invitee does not see it
 * in `listChats`, and `history`/`getChat`/`sendMessage` answer NOT_FOUND.
 */
import { describe, expect, it } from 'vitest';
import { anotherSocket, connectUser, listChats, makeGroup, sendText } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const RACES = 20;

describe('deleteChat racing invite', () => {
  it(`leaves nobody in the deleted chat (${RACES} races)`, { timeout: 240_000 }, async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const second = await anotherSocket(stack, owner);
    const member = await connectUser(stack, uniqueId('member'));
    const invitees = [];
    for (let i = 0; i < RACES; i++) invitees.push(await connectUser(stack, uniqueId('invitee')));

    const leaks: string[] = [];
    for (const [i, invitee] of invitees.entries()) {
      const chat = await makeGroup(owner, [member.userId], `Race ${i}`);
      await sendText(owner, chat.chatId, `secret ${i}`);
      const [deleted, invited] = await Promise.all([
        owner.request('deleteChat', { chatId: chat.chatId }),
        second.request('invite', { chatId: chat.chatId, userIds: [invitee.userId] }),
      ]);
      expect(deleted.type).toBe('ack');
      // The invite either landed first (and the delete removed the invitee too) or found no chat.
      if (invited.type === 'error') expect(invited.code).toMatch(/^(NOT_FOUND|CONFLICT)$/);
      else expect(invited.type).toBe('ack');

      const left = (await stack.items(`CHAT#${chat.chatId}`)).filter(
        (item) => String(item.sk).startsWith('MEMBER#') || item.sk === 'META',
      );
      const sees = (await listChats(invitee)).some((c) => c.chatId === chat.chatId);
      const reads = await invitee.request('history', { chatId: chat.chatId });
      const gets = await invitee.request('getChat', { chatId: chat.chatId });
      const sends = await invitee.request('sendMessage', { chatId: chat.chatId, text: 'still here?' });
      const outcome = {
        left: left.map((item) => String(item.sk)),
        sees,
        reads: reads.code ?? reads.type,
        gets: gets.code ?? gets.type,
        sends: sends.code ?? sends.type,
      };
      const clean = { left: [], sees: false, reads: 'NOT_FOUND', gets: 'NOT_FOUND', sends: 'NOT_FOUND' };
      if (JSON.stringify(outcome) !== JSON.stringify(clean))
        leaks.push(`race ${i}: ${JSON.stringify(outcome)}`);
    }
    expect(leaks).toEqual([]);
  });
});
