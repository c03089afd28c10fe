/**
 * The client (unchanged) with direct chats that can be left: the one who leaves drops the chat, the
 * one who stays sees one member, and a createChat of the pair (by either) brings the chat back to
 * the one who left, history and all, from its `chat.joined`.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { clientFor, settled, useClients, useShortWriteTiming } from './support/e2e.ts';

const stack = useTestStack();
// The rejoined chat's catch-up waits for its head to be quiet: shortened (the write path's bounds).
useShortWriteTiming();
const { pair, track } = useClients(stack);

describe('a direct chat left and brought back', () => {
  it('goes from the leaver, stays with the other, and comes back with its history', async () => {
    const { alice, bob, aliceId, bobId, chatId } = await pair('dl');
    await alice.sendMessage(chatId, 'before');
    await eventually(() => bob.messages(chatId).length === 1);

    await bob.request('removeMember', { chatId, userId: bobId });
    await eventually(() => bob.chat(chatId) === undefined);
    await eventually(() => alice.chat(chatId)?.memberCount === 1);
    await alice.sendMessage(chatId, 'while away');

    await bob.request('createChat', { kind: 'direct', userId: aliceId });
    await eventually(() => bob.messages(chatId).length === 2);
    await eventually(() => alice.chat(chatId)?.memberCount === 2);
    await settled(bob);
    expect(bob.messages(chatId).map((m) => m.text)).toEqual(['before', 'while away']);

    // The creator leaves; the other's createChat brings them back.
    await alice.request('removeMember', { chatId, userId: aliceId });
    await eventually(() => alice.chat(chatId) === undefined);
    await bob.request('createChat', { kind: 'direct', userId: aliceId });
    await eventually(() => alice.messages(chatId).length === 2);
    await bob.sendMessage(chatId, 'welcome back');
    await eventually(() => alice.messages(chatId).length === 3);
    expect(alice.chat(chatId)?.ownerId).toBe(bobId);
  });

  it('names the peer (peerId) on both sides, and to a new device once the peer has left', async () => {
    const { alice, bob, aliceId, bobId, chatId } = await pair('dp');
    expect(alice.chat(chatId)?.peerId).toBe(bobId);
    await eventually(() => bob.chat(chatId)?.peerId === aliceId);

    await bob.request('removeMember', { chatId, userId: bobId });
    await eventually(() => alice.chat(chatId)?.memberCount === 1);
    // A device that never saw the pair: its sync lists the chat with one member, and the peer.
    const laptop = track(clientFor(stack, aliceId));
    await settled(laptop);
    const info = laptop.chat(chatId);
    expect(info?.kind).toBe('direct');
    expect(info?.peerId).toBe(bobId);
    expect(alice.chat(chatId)?.peerId).toBe(bobId);
  });
});
