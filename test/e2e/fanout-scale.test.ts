/**
 * A group of 1,000 members, most of them offline and about 50 sockets open, over real sockets with
 * the fan-out queue in play (the threshold is lowered to 20 sockets so that 50 sockets go through
 * the queue worker, 15 to a job): frames stay under API Gateway's limits, every open socket gets
 * each event exactly once, the sender's ack does not wait for the posts, and the group's roster
 * follows connects, disconnects, vanished sockets, removals, invitations and deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../lambdas/shared/frames.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  type Chat,
  connectUser,
  expectChatShape,
  type Message,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame, TestClient } from '../support/client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { BIG_GROUP_TIMEOUTS, startTestStack, type TestStack, uniqueId } from '../support/stack.ts';

const MEMBERS = 1000;
const ONLINE_USERS = 44; // + the owner; 4 of them have a second socket: 49 sockets
/** API Gateway's limit on a frame (the server's acks and events). */
const FRAME_LIMIT = 128 * 1024;

let stack: TestStack;
let queue: LocalQueue;
let owner: UserSocket;
const online: UserSocket[] = [];
let chat: Chat;

beforeAll(async () => {
  stack = await startTestStack({
    env: { FANOUT_QUEUE_THRESHOLD: '20', FANOUT_JOB_SIZE: '15' },
    timeoutSeconds: BIG_GROUP_TIMEOUTS,
  });
  queue = stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
  owner = await connectUser(stack, uniqueId('owner'));
  for (let i = 0; i < ONLINE_USERS; i++) online.push(await connectUser(stack, uniqueId(`on${i}`)));
  for (const socket of online.slice(0, 4)) online.push(await connectUser(stack, socket.userId, socket.name));
}, 180_000);

afterAll(async () => {
  await Promise.all([owner, ...online].map((s) => s?.close()));
  await stack?.stop();
});

/** Every handler and every queued job done, then a ping round trip on each open socket. */
async function settled(sockets: readonly TestClient[]): Promise<void> {
  await stack.idle();
  await Promise.all(sockets.filter((s) => s.isOpen).map((s) => s.request('ping')));
}

const createdEvents = (socket: TestClient, messageId: string) =>
  socket.events('message.created').filter((f) => (f.message as Message).messageId === messageId);

const rosterOf = async (chatId: string) =>
  (await stack.items(`ROSTER#${chatId}`)).map((i) => String(i.sk).replace(/^ONLINE#/, '')).sort();

const entry = (s: UserSocket) => `${s.userId}#${s.connectionId}`;

/** An action on the big group that must be acked; a loaded machine may need more than the usual 10 s. */
async function ok(socket: TestClient, action: string, fields: Record<string, unknown>): Promise<Frame> {
  const reply = await socket.request(action, fields, 60_000);
  if (reply.type !== 'ack') throw new Error(`${action} failed: ${JSON.stringify(reply)}`);
  return reply;
}

describe('a group of 1,000 members', { timeout: 180_000 }, () => {
  it('is created with a bounded member list in frames under 128 KB, and every open socket hears of it once', async () => {
    const offline = Array.from({ length: MEMBERS - 1 - ONLINE_USERS }, (_, i) =>
      `off-${String(i).padStart(4, '0')}-${'x'.repeat(64)}`.slice(0, 62),
    );
    const memberIds = [...online.slice(0, ONLINE_USERS).map((s) => s.userId), ...offline];
    // 999 ids of up to 62 characters fit the server's own request limit (docs/protocol.md); the test
    // client sends it in frames of 32 KB, as a client that fragments does.
    const request = { action: 'createChat', requestId: 'big', kind: 'group', name: 'Everyone', memberIds };
    expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    const sentBefore = queue.stats.sent;

    const ack = await owner.request('createChat', { kind: 'group', name: 'Everyone', memberIds }, 60_000);
    expect(ack.type).toBe('ack');
    expect(JSON.stringify(ack).length).toBeLessThan(FRAME_LIMIT);
    chat = ack.chat as Chat;
    expectChatShape(chat);
    expect(chat.memberCount).toBe(MEMBERS);
    expect(chat.members).toHaveLength(200);
    expect(chat.members[0]).toMatchObject({ userId: owner.userId, role: 'owner' });

    await settled([owner, ...online]);
    expect(queue.stats.sent).toBeGreaterThan(sentBefore); // 49 sockets > 20: the worker posted
    for (const socket of [owner, ...online]) {
      const created = socket.events('chat.created').filter((f) => (f.chat as Chat).chatId === chat.chatId);
      expect(created, socket.userId).toHaveLength(1);
      expect(JSON.stringify(created[0]).length).toBeLessThan(FRAME_LIMIT);
    }
    // The roster lists exactly the open sockets (members' sockets only), however many members.
    expect(await rosterOf(chat.chatId)).toEqual([owner, ...online].map(entry).sort());
  });

  it('answers the sender before any post, then every other open socket gets each message exactly once', async () => {
    const sockets = [owner, ...online];
    const sender = online[1] as UserSocket;
    queue.pause();
    const messages: Message[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const reply = await sender.request(
          'sendMessage',
          { chatId: chat.chatId, text: `to everyone ${i}`, clientMessageId: `big-${i}` },
          60_000,
        );
        expect(reply).toMatchObject({ type: 'ack', duplicate: false });
        messages.push(reply.message as Message);
      }
      // The acks came back while every job still waits in the (paused) queue.
      await stack.gateway.idle();
      expect(queue.depth).toBeGreaterThan(0);
      for (const socket of sockets) expect(socket.events('message.created'), socket.userId).toEqual([]);
    } finally {
      queue.resume();
    }
    await settled(sockets);
    for (const message of messages) {
      for (const socket of sockets) {
        const expected = socket.connectionId === sender.connectionId ? 0 : 1;
        expect(createdEvents(socket, message.messageId), socket.userId).toHaveLength(expected);
      }
    }
    // The sender's other socket (the same user) gets its own messages too.
    expect(online.filter((s) => s.userId === sender.userId)).toHaveLength(2);
  });

  it('follows connects, disconnects and vanished sockets in its roster', async () => {
    const member = online[5] as UserSocket;
    const late = await connectUser(stack, member.userId, member.name);
    online.push(late);
    expect(await rosterOf(chat.chatId)).toContain(entry(late));

    const leaving = online[6] as UserSocket;
    await leaving.close();
    await stack.idle();
    expect(await rosterOf(chat.chatId)).not.toContain(entry(leaving));

    const ghost = online[7] as UserSocket;
    await vanishSocket(stack, ghost);
    expect(await rosterOf(chat.chatId)).toContain(entry(ghost));

    const message = (await ok(owner, 'sendMessage', { chatId: chat.chatId, text: 'who is here?' }))
      .message as Message;
    const open = [owner, ...online].filter((s) => s.isOpen && s !== ghost);
    await settled(open);
    expect(createdEvents(late, message.messageId)).toHaveLength(1);
    for (const socket of open.filter((s) => s !== owner)) {
      expect(createdEvents(socket, message.messageId), socket.userId).toHaveLength(1);
    }
    // The post to the vanished socket answered 410: its connection and its roster entry are gone.
    const roster = await rosterOf(chat.chatId);
    expect(roster).not.toContain(entry(ghost));
    expect(await storedConnectionIds(stack, ghost.userId)).not.toContain(ghost.connectionId);
    expect(roster).toEqual(open.map(entry).sort());
  });

  it('refuses a member over 1,000, then admits one after a removal; the removed member hears nothing more', async () => {
    const newcomer = await connectUser(stack, uniqueId('new'));
    const full = await owner.request('invite', { chatId: chat.chatId, userIds: [newcomer.userId] }, 60_000);
    expect(full).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });

    const removed = online[8] as UserSocket;
    await ok(owner, 'removeMember', { chatId: chat.chatId, userId: removed.userId });
    await settled([removed]);
    expect(removed.events('member.left').filter((f) => f.chatId === chat.chatId)).toHaveLength(1);
    expect((await rosterOf(chat.chatId)).some((e) => e.startsWith(`${removed.userId}#`))).toBe(false);

    const invited = await ok(owner, 'invite', { chatId: chat.chatId, userIds: [newcomer.userId] });
    expect((invited.chat as Chat).memberCount).toBe(MEMBERS);
    await settled([newcomer]);
    expect(
      newcomer.events('chat.joined').filter((f) => (f.chat as Chat).chatId === chat.chatId),
    ).toHaveLength(1);
    expect(await rosterOf(chat.chatId)).toContain(entry(newcomer));

    const message = (await ok(owner, 'sendMessage', { chatId: chat.chatId, text: 'welcome' }))
      .message as Message;
    await settled([newcomer, removed]);
    expect(createdEvents(newcomer, message.messageId)).toHaveLength(1);
    expect(createdEvents(removed, message.messageId)).toHaveLength(0);
    online.push(newcomer);
  });

  it('is deleted for every open socket once, and its roster with it', async () => {
    const open = [owner, ...online].filter((s) => s.isOpen);
    // Deleting 1,000 memberships is 40 batch writes: allow it the time a loaded machine needs.
    expect(await owner.request('deleteChat', { chatId: chat.chatId }, 60_000)).toMatchObject({ type: 'ack' });
    await settled(open);
    const removed = online[8] as UserSocket;
    for (const socket of open.filter((s) => s.userId !== removed.userId)) {
      const deleted = socket.events('chat.deleted').filter((f: Frame) => f.chatId === chat.chatId);
      expect(deleted, socket.userId).toHaveLength(1);
    }
    expect(await rosterOf(chat.chatId)).toEqual([]);
  });
});
