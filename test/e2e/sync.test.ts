/**
 * `sync` end to end: a client that syncs from the version it holds (paging while hasMore) ends with
 * exactly the server's state — new messages, and edits and deletions made while it was away; the
 * member list comes when membership changed and only then; an old version answers reset.
 * The writer deadlines are shortened here (the handlers run in this process) so that versions
 * settle within about a second.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { SYNC_LIST_READ_MAX_MEMBERS } from '../../lambdas/domain/sync.ts';
import { setWriteTiming } from '../../lambdas/domain/timing.ts';
import {
  connectUser,
  expectRefused,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';
import { emptyView, fullHistory, heldMessages, syncRound, syncSettled } from '../support/sync.ts';

let stack: TestStack;
let doc: DynamoDBDocumentClient;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  setWriteTiming({ allocTimeoutMs: 2000, writeDeadlineMs: 1500, skewMarginMs: 250, claimDeadlineMs: 3000 });
  stack = await startTestStack();
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(async () => {
  setWriteTiming(undefined);
  doc?.destroy();
  await stack?.stop();
});

describe('sync', () => {
  it('brings a client that was away to exactly the server’s state: new, edited and deleted messages', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Away');
    const kept = await sendText(ann, chat.chatId, 'one');
    const toEdit = await sendText(ann, chat.chatId, 'two');
    const toDelete = await sendText(bob, chat.chatId, 'three');

    // bob holds the chat as it is now.
    const view = emptyView(chat.chatId);
    await syncSettled(bob, view);
    expect(heldMessages(view)).toEqual(await fullHistory(bob, chat.chatId));
    const heldAt = view.ver;

    // While bob is away: new messages, an edit of an old one, a deletion, an edit of a new one.
    await ann.ok('editMessage', { chatId: chat.chatId, messageId: toEdit.messageId, text: 'two, edited' });
    await bob.ok('deleteMessage', { chatId: chat.chatId, messageId: toDelete.messageId });
    const fresh = await sendText(ann, chat.chatId, 'four');
    await sendText(bob, chat.chatId, 'five');
    await ann.ok('editMessage', { chatId: chat.chatId, messageId: fresh.messageId, text: 'four, edited' });

    // Back: small pages, then everything settled.
    view.calls = 0;
    await syncRound(bob, view, 2);
    expect(view.calls).toBeGreaterThan(1);
    await syncSettled(bob, view, 2);
    const server = await fullHistory(bob, chat.chatId);
    expect(heldMessages(view)).toEqual(server);
    expect(view.messages.get(toEdit.messageId)).toMatchObject({ text: 'two, edited' });
    expect(view.messages.get(toDelete.messageId)).toMatchObject({ text: '', deleted: true });
    expect(view.messages.get(kept.messageId)).toEqual(kept); // unchanged: never sent again
    expect(view.ver).toBeGreaterThan(heldAt);
    // Membership did not change after heldAt: the members never came again.
    const again = await bob.ok('sync', { chatId: chat.chatId, sinceVer: heldAt, limit: 100 });
    expect(again.members).toBeNull();
    expect((again.messages as Message[]).map((m) => m.messageId)).not.toContain(kept.messageId);
  });

  it('in a group of more than 16 members: the members only when they changed, NOT_FOUND for others', async () => {
    const ann = await connectUser(stack);
    const eve = await connectUser(stack);
    const others = Array.from({ length: SYNC_LIST_READ_MAX_MEMBERS }, () => uniqueId('quiet'));
    const chat = await makeGroup(ann, others, 'Big enough');
    await sendText(ann, chat.chatId, 'one');
    // The first sync reads the list (and the container learns the chat's size); later ones read by key.
    const view = emptyView(chat.chatId);
    await syncSettled(ann, view);
    expect(view.members?.length).toBe(SYNC_LIST_READ_MAX_MEMBERS + 1);
    const quiet = await ann.ok('sync', { chatId: chat.chatId, sinceVer: view.ver, limit: 100 });
    expect(quiet).toMatchObject({ members: null, memberCount: SYNC_LIST_READ_MAX_MEMBERS + 1, reset: false });

    const late = uniqueId('late');
    await ann.ok('invite', { chatId: chat.chatId, userIds: [late] });
    await sendText(ann, chat.chatId, 'two');
    const changed = await ann.ok('sync', { chatId: chat.chatId, sinceVer: view.ver, limit: 100 });
    expect((changed.members as { userId: string }[]).map((m) => m.userId)).toContain(late);
    expect((changed.messages as Message[]).map((m) => m.text)).toEqual(['two']);

    await expectRefused(stack, eve, 'sync', { chatId: chat.chatId, sinceVer: 0, limit: 10 }, 'NOT_FOUND');
  });

  it('from 0 answers every message in version order, the members, and a cursor', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeDirect(ann, bob.userId);
    for (const text of ['a', 'b', 'c']) await sendText(ann, chat.chatId, text);
    const ack = await bob.request('sync', { chatId: chat.chatId, sinceVer: 0 });
    expect(ack).toEqual({
      type: 'ack',
      action: 'sync',
      requestId: expect.any(String),
      chatId: chat.chatId,
      messages: expect.any(Array),
      members: expect.any(Array),
      memberCount: 2,
      lastVer: expect.any(Number),
      hasMore: false,
      reset: false,
    });
    expect((ack.messages as Message[]).map((m) => m.text)).toEqual(['a', 'b', 'c']);
    expect((ack.members as { userId: string }[]).map((m) => m.userId).sort()).toEqual(
      [ann.userId, bob.userId].sort(),
    );
  });

  it('answers the member list when membership changed after sinceVer, with the version events carried', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Members');
    const view = emptyView(chat.chatId);
    await syncSettled(bob, view);
    expect(view.members?.map((m) => m.userId).sort()).toEqual([ann.userId, bob.userId].sort());
    const before = view.ver;

    const cat = uniqueId('cat');
    await ann.ok('invite', { chatId: chat.chatId, userIds: [cat] });
    const joined = await bob.event('member.joined', (f) => f.chatId === chat.chatId);
    expect(joined.ver).toBeGreaterThan(before);
    view.members = null;
    await syncSettled(bob, view);
    const members = view.members as { userId: string }[] | null; // set again by the sync
    expect(members?.map((m) => m.userId).sort()).toEqual([ann.userId, bob.userId, cat].sort());
    expect(view.ver).toBeGreaterThanOrEqual(joined.ver as number);

    // Nothing changed since: no member list.
    const quiet = await bob.ok('sync', { chatId: chat.chatId, sinceVer: view.ver });
    expect(quiet).toMatchObject({ members: null, messages: [], hasMore: false });

    await ann.ok('removeMember', { chatId: chat.chatId, userId: cat });
    const left = await bob.event('member.left', (f) => f.chatId === chat.chatId);
    expect(left.ver).toBeGreaterThan(view.ver);
    const after = await bob.ok('sync', { chatId: chat.chatId, sinceVer: view.ver });
    expect((after.members as { userId: string }[]).map((m) => m.userId)).not.toContain(cat);
  });

  it('answers reset when sinceVer is older than what is kept, then works from the version it gave', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeDirect(ann, bob.userId);
    for (const text of ['x', 'y']) await sendText(ann, chat.chatId, text);
    const head = (await bob.ok('getChat', { chatId: chat.chatId })).chat as { lastVer: number };
    // What the event pipeline does when deleted messages' tombstones expire.
    await new ChatStore(doc, stack.tableName).sequence.raiseMinSyncVer(chat.chatId, head.lastVer);

    const reset = await bob.ok('sync', { chatId: chat.chatId, sinceVer: head.lastVer - 1 });
    expect(reset).toMatchObject({ reset: true, messages: [], hasMore: false });
    expect(reset.members).toHaveLength(2);
    // The client reloads with history, then syncs on from the version the reset gave.
    const reloaded = await fullHistory(bob, chat.chatId);
    expect(reloaded.map((m) => m.text)).toEqual(['x', 'y']);
    const view = { ...emptyView(chat.chatId), ver: reset.lastVer as number };
    for (const m of reloaded) view.messages.set(m.messageId, m);
    await sendText(ann, chat.chatId, 'z');
    await syncSettled(bob, view);
    expect(heldMessages(view)).toEqual(await fullHistory(bob, chat.chatId));
  });

  it('answers a reset of a chat being written with a settled version, not 0: the reload is not fetched twice', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeDirect(ann, bob.userId);
    const settledOnes = [await sendText(ann, chat.chatId, 'x'), await sendText(bob, chat.chatId, 'y')];
    await sleep(2_000); // past the settle window (1.75 s): versions up to y's are settled
    await sendText(ann, chat.chatId, 'z'); // the head is busy for the next 3.75 s
    const head = (await bob.ok('getChat', { chatId: chat.chatId })).chat as { lastVer: number };

    // A version this chat never had (a client restored from elsewhere): reset.
    const reset = await bob.ok('sync', { chatId: chat.chatId, sinceVer: head.lastVer + 5 });
    expect(reset).toMatchObject({ reset: true, messages: [], hasMore: false });
    const yVer = settledOnes[1]?.ver ?? Number.NaN;
    expect(reset.lastVer).toBeGreaterThanOrEqual(yVer);
    expect(reset.lastVer).toBeLessThanOrEqual(head.lastVer);
    // Reloaded with history, the sync from that version brings at most what changed since y.
    const reloaded = await fullHistory(bob, chat.chatId);
    const view = { ...emptyView(chat.chatId), ver: reset.lastVer as number };
    for (const m of reloaded) view.messages.set(m.messageId, m);
    const next = await bob.ok('sync', { chatId: chat.chatId, sinceVer: view.ver });
    expect((next.messages as Message[]).map((m) => m.text)).not.toContain('x');
    await syncSettled(bob, view);
    expect(heldMessages(view)).toEqual(await fullHistory(bob, chat.chatId));
  });

  it('answers a reset of a busy chat (more recent changes than one probe) with its newest settled version', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId]);
    const old: Message[] = [];
    for (let i = 0; i < 60; i++) old.push(await sendText(ann, chat.chatId, `old ${i}`));
    await sleep(2_500); // past the settle window (1.75 s): everything so far is settled
    for (let i = 0; i < 10; i++) await sendText(ann, chat.chatId, `busy ${i}`);
    const head = (await bob.ok('getChat', { chatId: chat.chatId })).chat as { lastVer: number };

    // A store restored from a backup: ahead of the chat, so reset, from a version above the old ones
    // (before: the 10 newest changes were all recent, and the answer fell back to 0).
    const reset = await bob.ok('sync', { chatId: chat.chatId, sinceVer: head.lastVer + 5 });
    expect(reset).toMatchObject({ reset: true, messages: [], hasMore: false });
    expect(reset.lastVer).toBeGreaterThanOrEqual(old.at(-1)?.ver ?? Number.NaN);
    expect(reset.lastVer).toBeLessThanOrEqual(head.lastVer);
    const next = await bob.ok('sync', { chatId: chat.chatId, sinceVer: reset.lastVer, limit: 100 });
    const texts = (next.messages as Message[]).map((m) => m.text);
    expect(texts.filter((t) => t.startsWith('old'))).toEqual([]);
    expect(texts.length).toBeLessThanOrEqual(10);
  });

  it('refuses non-members and bad input, writing nothing', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const eve = await connectUser(stack);
    const chat = await makeDirect(ann, bob.userId);
    await sendText(ann, chat.chatId, 'private');
    await settle(stack, ann, bob, eve);
    await expectRefused(stack, eve, 'sync', { chatId: chat.chatId, sinceVer: 0 }, 'NOT_FOUND');
    await expectRefused(stack, bob, 'sync', { chatId: chat.chatId, sinceVer: -1 }, 'BAD_REQUEST', {
      message: /sinceVer/,
    });
    await expectRefused(stack, bob, 'sync', { chatId: chat.chatId, sinceVer: '3' }, 'BAD_REQUEST');
    await expectRefused(stack, bob, 'sync', { chatId: chat.chatId, sinceVer: 0, limit: 101 }, 'BAD_REQUEST', {
      message: /limit/,
    });
    await expectRefused(stack, bob, 'sync', { chatId: chat.chatId }, 'BAD_REQUEST', { message: /sinceVer/ });
    await Promise.all([ann, bob, eve].map((s: UserSocket) => s.close()));
  });
});
