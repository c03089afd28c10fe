import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { readMessage } from '../../lambdas/domain/messages.ts';
import { handler as fanOutWorker } from '../../lambdas/handlers/fanOutWorker.ts';
import { closeAll, connectUser, eventsOf, makeGroup, sendText, settle } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { useFailingReads } from '../support/failing-reads.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
const { unreadableRoster } = useFailingReads(stack, table);

/** The roster entries' sort keys of `userId` in the group. */
async function rosterOf(chatId: string, userId: string): Promise<string[]> {
  const items = await stack.items(`ROSTER#${chatId}`);
  return items.map((it) => String(it.sk)).filter((sk) => sk.startsWith(`ONLINE#${userId}#`));
}

/** Whether the user's join marker of the group is still live (what `$connect` reads). */
const marked = async (userId: string, chatId: string) =>
  (await table.store.rosters.recentJoins(userId)).includes(chatId);

describe('a join marker outliving the membership', () => {
  it('a member removed minutes after joining is not listed again by their next $connect', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const { chatId } = await makeGroup(owner, [bob.userId], 'Club');
    await owner.ok('removeMember', { chatId, userId: bob.userId });
    await closeAll(stack, bob);
    expect(await marked(bob.userId, chatId), 'the marker is still live').toBe(true);
    const again = await connectUser(stack, bob.userId);
    expect(await rosterOf(chatId, bob.userId)).toEqual([]);
    // The owner, still a member, is listed as ever.
    expect(await rosterOf(chatId, owner.userId)).toEqual([`ONLINE#${owner.userId}#${owner.connectionId}`]);
    await closeAll(stack, owner, again);
  });

  it('a member who left, or whose group was deleted, is not listed again either', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const left = await makeGroup(owner, [bob.userId], 'Left');
    const deleted = await makeGroup(owner, [bob.userId], 'Deleted');
    const kept = await makeGroup(owner, [bob.userId], 'Kept');
    await bob.ok('removeMember', { chatId: left.chatId, userId: bob.userId });
    await owner.ok('deleteChat', { chatId: deleted.chatId });
    await closeAll(stack, bob);
    const again = await connectUser(stack, bob.userId);
    expect(await rosterOf(left.chatId, bob.userId)).toEqual([]);
    expect(await rosterOf(deleted.chatId, bob.userId)).toEqual([]);
    expect(await rosterOf(kept.chatId, bob.userId)).toEqual([`ONLINE#${bob.userId}#${again.connectionId}`]);
    await closeAll(stack, owner, again);
  });

  it("the fan-out worker's receipt of the group does not reach the removed member's new socket", async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const cat = await connectUser(stack, uniqueId('cat'));
    let bob = await connectUser(stack, uniqueId('bob'));
    const { chatId } = await makeGroup(ann, [bob.userId, cat.userId], 'Club');
    await ann.ok('removeMember', { chatId, userId: bob.userId });
    await closeAll(stack, bob);
    bob = await connectUser(stack, bob.userId); // a new socket after the removal
    const m = await sendText(ann, chatId, 'members only');
    await settle(stack, ann, bob, cat);
    // The request cannot read the roster: the receipt is handed to the worker, which reads it again
    // without the member list (docs/security.md, "Receipts").
    const { deps, jobs } = unreadableRoster();
    await readMessage(deps, { userId: cat.userId, name: 'Cat' }, { chatId, messageId: m.messageId });
    expect(jobs.length, 'the receipt went to the worker').toBe(1);
    const records = jobs.map((job, i) => ({ messageId: `m${i}`, body: JSON.stringify(job) }));
    await fanOutWorker({ Records: records } as unknown as SQSEvent);
    await settle(stack, ann, bob, cat);
    const inChat = (f: Frame) => f.chatId === chatId;
    expect(eventsOf(ann, 'message.read', inChat), 'a member gets it').toHaveLength(1);
    expect(eventsOf(bob, 'message.read', inChat)).toEqual([]);
    await closeAll(stack, ann, bob, cat);
  });
});
