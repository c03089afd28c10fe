/**
 * Deleting an account from an app, end to end: the client (unchanged, no method of its own:
 * `request('deleteAccount')` is typed from the contract) asks; the ack comes; the server closes the
 * socket and refuses the next handshake, so the client ends `closed` with reason `unauthorized` and
 * no reconnect loop; the retention worker then runs the queued job, and the peers' clients see
 * the user's messages erased and the user gone from every chat (the group's ownership passed on).
 * The request's and the job's parts alone: test/security/delete-account.test.ts and
 * test/e2e/account-deletion-job.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../client/src/index.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { clientFor, connectionIds, settled, useClients, useShortWriteTiming } from './support/e2e.ts';

const stack = useTestStack();
useShortWriteTiming();
const { pair, track } = useClients(stack);

describe('deleteAccount from the client', { timeout: 60_000 }, () => {
  it('acks, ends the client unauthorized, and the peers see the messages erased and the user gone', async () => {
    const { alice, bob, aliceId, bobId, chatId: directId } = await pair('del');
    const carolId = uniqueId('del-carol');
    const carol = track(clientFor(stack, carolId));
    await settled(carol);
    const { chat: group } = await alice.request('createChat', {
      kind: 'group',
      name: 'Team',
      memberIds: [bobId, carolId],
    });
    await alice.sendMessage(directId, 'mine, direct');
    await alice.sendMessage(group.chatId, 'mine, group');
    await bob.sendMessage(group.chatId, "bob's");
    await eventually(() => bob.messages(group.chatId).length === 2 && bob.messages(directId).length === 1);

    const states: StateChange[] = [];
    alice.on('state', (change) => states.push(change));
    const ack = await alice.request('deleteAccount', { eraseMessages: true });
    expect(ack).toMatchObject({ userId: aliceId, eraseMessages: true });

    // Closed by the server, refused on the way back: the client stops, it does not loop.
    await eventually(() => alice.state === 'closed');
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'unauthorized' });
    expect(await connectionIds(stack, aliceId)).toEqual([]);

    // The job: every message of hers erased, and she is out of both chats.
    const erased = (id: string) => bob.messages(id).filter((m) => m.senderId === aliceId);
    await eventually(
      () => bob.chat(group.chatId)?.memberCount === 2 && bob.chat(directId)?.memberCount === 1,
    );
    await eventually(() => [...erased(directId), ...erased(group.chatId)].every((m) => m.deleted));
    // The leave's event carries no owner: the client's catch-up (a sync) brings the new one.
    await settled(bob);
    expect(erased(group.chatId).map((m) => m.text)).toEqual(['']);
    expect(bob.messages(group.chatId).find((m) => m.senderId === bobId)?.text).toBe("bob's");
    expect(bob.chat(group.chatId)?.ownerId).not.toBe(aliceId);
    await eventually(() => carol.chat(group.chatId)?.memberCount === 2);
    const { chat } = await carol.request('getChat', { chatId: group.chatId });
    expect(chat.members.map((m) => m.userId).sort()).toEqual([bobId, carolId].sort());
  });
});
