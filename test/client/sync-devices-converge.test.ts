/**
 * One user on two devices (d1 acts; d2 is offline, or stays online) and peers, against the local
 * stack, through actions the soak's mix does not drive: leaving and coming back, removal and
 * invitation back, the owner leaving, deleteChat, scheduled messages, a mute, invitations while
 * away, a peer's read, and d2's outbox meeting a deletion or a leave of d1. Afterwards each device
 * holds of every chat what the server says: owner, member count, own read cursor, unread count,
 * mute, members (role, read cursor) and history, asked through a reader of the same user (the
 * answers to a client's own requests land in its replica, so the devices compared never ask).
 * One window of d2 offline carries all the chats at once: the catch-up's waits are paid once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatClient, ChatSummary, Message } from '../../client/src/index.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import {
  clientFor,
  gate,
  serverHistory,
  settled,
  socketFamily,
  useClients,
  useShortWriteTiming,
} from './support/e2e.ts';

const stack = useTestStack();
useShortWriteTiming();
const { track } = useClients(stack);

const msg = (m: Message) => ({
  seq: m.seq,
  text: m.text,
  deleted: m.deleted,
  ver: m.ver,
  reactions: m.reactions,
});
const roster = (
  members: readonly { userId: string; role: string; lastReadSeq: number }[] | null | undefined,
) => (members ?? []).map((m) => `${m.userId}:${m.role}:r${m.lastReadSeq}`).sort();

/** What the server says of each chat for the reader's user (null: not a member). */
async function truth(reader: ChatClient, chatIds: readonly string[]) {
  const summaries: ChatSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: { chats: ChatSummary[]; nextCursor: string | null } = await reader.request('listChats', {
      limit: 100,
      cursor,
    });
    summaries.push(...page.chats);
    cursor = page.nextCursor;
  } while (cursor);
  const out: Record<string, unknown> = {};
  for (const chatId of chatIds) {
    const s = summaries.find((c) => c.chatId === chatId);
    if (!s) {
      out[chatId] = null;
      continue;
    }
    const { chat } = await reader.request('getChat', { chatId });
    out[chatId] = {
      ownerId: chat.ownerId,
      memberCount: chat.memberCount,
      lastReadSeq: s.lastReadSeq,
      unreadCount: s.unreadCount,
      mutedUntil: s.mutedUntil,
      members: roster(chat.members),
      messages: (await serverHistory(reader, chatId)).map(msg),
    };
  }
  return out;
}

/** What a device holds of each chat, in the same shape. */
function held(c: ChatClient, chatIds: readonly string[]) {
  const out: Record<string, unknown> = {};
  for (const chatId of chatIds) {
    const i = c.chat(chatId);
    out[chatId] = i
      ? {
          ownerId: i.ownerId,
          memberCount: i.memberCount,
          lastReadSeq: i.lastReadSeq,
          unreadCount: i.unreadCount,
          mutedUntil: i.mutedUntil,
          members: roster(i.members),
          messages: c.messages(chatId).map(msg),
        }
      : null;
  }
  return out;
}

/** Waits (bounded) for the devices to agree with the server on the chats, then asserts each. */
async function converged(
  reader: ChatClient,
  chatIds: readonly string[],
  devices: Record<string, ChatClient>,
) {
  await Promise.all(Object.values(devices).map((d) => settled(d, 30_000)));
  let t: Record<string, unknown> = {};
  await eventually(async () => {
    t = await truth(reader, chatIds);
    return Object.values(devices).every((d) => JSON.stringify(held(d, chatIds)) === JSON.stringify(t));
  }, 12_000).catch(() => undefined);
  for (const [name, d] of Object.entries(devices)) expect(held(d, chatIds), `${name} vs server`).toEqual(t);
}

/** One user (d1, d2 that can be kept offline, a reader), a peer with a reader, and two more peers. */
/** d1 leaves the direct chat; the peer sends, edits (`first`) and deletes; d1 brings it back. */
async function leaveAndReturn(
  d1: ChatClient,
  peer: { readonly c: ChatClient; readonly id: string },
  me: string,
  direct: string,
  first: string,
): Promise<void> {
  await d1.request('removeMember', { chatId: direct, userId: me });
  const m2 = await peer.c.sendMessage(direct, 'while away');
  await peer.c.editMessage(direct, first, 'before (edited while away)');
  await peer.c.sendMessage(direct, 'while away 2');
  await peer.c.deleteMessage(direct, m2.messageId);
  await d1.request('createChat', { kind: 'direct', userId: peer.id });
  await peer.c.sendMessage(direct, 'after return');
}

async function setup(prefix: string) {
  const me = uniqueId(`${prefix}-me`);
  const g = gate();
  const sockets = socketFamily();
  const d1 = track(clientFor(stack, me));
  const d2 = track(clientFor(stack, me, { gate: g, WebSocket: sockets.WebSocket }));
  const reader = track(clientFor(stack, me));
  const peer = (name: string) => {
    const id = uniqueId(`${prefix}-${name}`);
    return { id, c: track(clientFor(stack, id)) };
  };
  const [p, q, r] = [peer('p'), peer('q'), peer('r')];
  const pReader = track(clientFor(stack, p.id));
  await Promise.all([d1, d2, reader, p.c, q.c, r.c, pReader].map((c) => settled(c)));
  const offline = async () => {
    g.close();
    sockets.dropAll();
    await eventually(() => d2.state !== 'open');
  };
  return { me, d1, d2, reader, p, q, r, pReader, offline, online: () => g.open() };
}

/** How a change d2 queued offline ended: `ok`, or the code it was refused with. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => String((e as { code?: string }).code ?? e),
  );

describe("a user's two devices end with the server's word on every chat", () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup('cv');
  }, 60_000);

  it('after one window of d2 offline with changes in seven chats', { timeout: 90_000 }, async () => {
    const { me, d1, d2, reader, p, q, pReader, offline, online } = s;
    const third = uniqueId('cv-third');
    const group = async (name: string, memberIds: string[]) =>
      (await p.c.request('createChat', { kind: 'group', name, memberIds })).chat.chatId;
    const [direct, removed, deleted, busy, edited, left] = await Promise.all([
      p.c.request('createChat', { kind: 'direct', userId: me }).then((x) => x.chat.chatId),
      group('R', [me, third]),
      q.c.request('createChat', { kind: 'direct', userId: me }).then((x) => x.chat.chatId),
      group('B', [me]),
      group('E', [me]),
      group('L', [me]),
    ]);
    const [m1, r1, , , mine] = await Promise.all([
      p.c.sendMessage(direct, 'before'),
      p.c.sendMessage(removed, 'one'),
      q.c.sendMessage(deleted, 'x'),
      p.c.sendMessage(busy, 'p1'),
      d1.sendMessage(edited, 'mine'),
    ]);
    const all = [direct, removed, deleted, busy, edited, left];
    await eventually(() => all.every((id) => d2.chat(id) !== undefined) && d2.messages(edited).length === 1);
    await d1.markRead(direct, m1.messageId);
    await settled(d2);
    await offline();

    // Each chat's changes in order; the chats side by side.
    const sendAt = new Date(Date.now() + 1500).toISOString();
    const outbox = { edit: Promise.resolve(''), react: Promise.resolve(''), send: Promise.resolve('') };
    const [again, fresh] = await Promise.all([
      // A direct chat of the peer's: deleted; the pair's next direct chat is a new one.
      (async () => {
        await q.c.request('deleteChat', { chatId: deleted });
        const again = (await q.c.request('createChat', { kind: 'direct', userId: me })).chat.chatId;
        await q.c.sendMessage(again, 'new chat');
        return again;
      })(),
      // A group: d1 schedules a message that goes out and mutes the chat, members come and go, the
      // peer reads d1's message (its ticks on d2); and a group new to d2.
      (async () => {
        await d1.request('scheduleMessage', { chatId: busy, text: 'scheduled', sendAt });
        await d1.request('muteChat', { chatId: busy, until: new Date(Date.now() + 3_600_000).toISOString() });
        await p.c.request('invite', { chatId: busy, userIds: [third, uniqueId('cv-fourth')] });
        await p.c.request('removeMember', { chatId: busy, userId: third });
        const fresh = (await p.c.request('createChat', { kind: 'group', name: 'J', memberIds: [me] })).chat;
        await p.c.sendMessage(fresh.chatId, 'in J');
        await eventually(() => p.c.messages(busy).some((m) => m.text === 'scheduled'), 15_000);
        await p.c.markRead(busy);
        await p.c.sendMessage(busy, 'p2');
        return fresh.chatId;
      })(),
      // The direct chat: d1 leaves; the peer sends, edits and deletes; d1 brings it back.
      leaveAndReturn(d1, p, me, direct, m1.messageId),
      // A group: removed by the owner, invited back, then the owner leaves (a new owner).
      (async () => {
        await p.c.request('removeMember', { chatId: removed, userId: me });
        await p.c.sendMessage(removed, 'while removed');
        await p.c.editMessage(removed, r1.messageId, 'one (edited while removed)');
        await p.c.request('invite', { chatId: removed, userIds: [me] });
        await p.c.sendMessage(removed, 'after invite');
        await p.c.request('removeMember', { chatId: removed, userId: p.id });
        await d1.sendMessage(removed, 'mine');
      })(),
      // d2's outbox: an edit and a reaction on a message d1 deletes, a send into a group d1 leaves.
      (async () => {
        outbox.edit = outcome(d2.editMessage(edited, mine.messageId, 'edited offline'));
        outbox.react = outcome(d2.react(edited, mine.messageId, '👍'));
        await d1.deleteMessage(edited, mine.messageId);
        outbox.send = outcome(d2.sendMessage(left, 'into a left group'));
        await d1.request('removeMember', { chatId: left, userId: me });
      })(),
    ]);

    online();
    const { edit, react, send } = outbox;
    expect({ edit: await edit, react: await react, send: await send }).toEqual({
      edit: 'CONFLICT',
      react: 'NOT_FOUND',
      send: 'NOT_FOUND',
    });
    await converged(reader, [direct, removed, deleted, again, busy, fresh, edited, left], { d1, d2 });
    expect(d2.chat(left)).toBeUndefined();
    expect(d2.pending()).toEqual([]);
    // The peer's view of what d1 scheduled and read, too.
    await converged(pReader, [busy], { peer: p.c });
  });

  it('while d2 stays online: a direct chat left and brought back, and a scheduled message', {
    timeout: 90_000,
  }, async () => {
    const { me, d1, d2, reader, r } = s;
    const reconnects = d2.stats.reconnects;
    const [direct, group] = await Promise.all([
      r.c.request('createChat', { kind: 'direct', userId: me }).then((x) => x.chat.chatId),
      r.c.request('createChat', { kind: 'group', name: 'S', memberIds: [me] }).then((x) => x.chat.chatId),
    ]);
    const [m1] = await Promise.all([r.c.sendMessage(direct, 'before'), r.c.sendMessage(group, 'r1')]);
    await eventually(() => d2.messages(direct).length === 1 && d1.messages(direct).length === 1);
    await d1.markRead(direct, m1.messageId);

    // d2 schedules (it goes out meanwhile); d1 leaves the direct chat, the peer changes it, d1 is back.
    const sendAt = new Date(Date.now() + 1500).toISOString();
    await d2.request('scheduleMessage', { chatId: group, text: 'scheduled', sendAt });
    await leaveAndReturn(d1, r, me, direct, m1.messageId);
    await eventually(() => [d1, d2].every((d) => d.messages(group).length === 2), 15_000);

    await converged(reader, [direct, group], { d1, d2 });
    // Live, not from a catch-up after a reconnect.
    expect(d2.stats.reconnects).toBe(reconnects);
  });
});
