/**
 * Every route that posts events, with the fan-out queue's threshold at 1 socket: each event for two
 * sockets or more goes through the queue and its worker (local/queue.ts), and every socket it is for
 * still gets it exactly once; `typing`, best-effort, never goes through the queue. This is also what proves each producer's `sqs:SendMessage` grant (the
 * IAM check of scripts/check-iam.ts): big groups reach the queue only from some routes in the other
 * suites.
 */
import { describe, expect, it } from 'vitest';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  anotherSocket,
  type Chat,
  connectUser,
  eventsOf,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { ageSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ env: { FANOUT_QUEUE_THRESHOLD: '1', FANOUT_JOB_SIZE: '2' } });

const queue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;

/**
 * Runs `act`, waits for every handler and queued job, and checks that the queue carried it (or, with
 * `queued` false, did not: posted in the request) and that each socket of `expected` got exactly one
 * `type` event matching `where` (and the others none).
 */
async function throughQueue(
  sockets: readonly UserSocket[],
  expected: readonly UserSocket[],
  type: string,
  where: (f: Frame) => boolean,
  act: () => Promise<unknown>,
  queued = true,
): Promise<void> {
  const sent = queue().stats.sent;
  const before = new Map(sockets.map((s) => [s, eventsOf(s, type, where).length]));
  await act();
  await stack.idle();
  await Promise.all(sockets.filter((s) => s.isOpen).map((s) => s.request('ping')));
  if (queued) expect(queue().stats.sent, type).toBeGreaterThan(sent);
  else expect(queue().stats.sent, type).toBe(sent);
  for (const socket of sockets) {
    const got = eventsOf(socket, type, where).length - (before.get(socket) ?? 0);
    expect(got, `${type} to ${socket.userId}`).toBe(expected.includes(socket) ? 1 : 0);
  }
}

describe('events through the fan-out queue, route by route', { timeout: 120_000 }, () => {
  it('delivers every route’s events exactly once to each socket they are for', async () => {
    let ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const bob2 = await anotherSocket(stack, bob);
    const cat = await connectUser(stack, uniqueId('cat'));
    const dan = uniqueId('dan'); // never online
    const all = () => [ann, bob, bob2, cat];
    // Direct chats make bob and cat ann's presence peers.
    await makeDirect(ann, bob.userId);
    await makeDirect(ann, cat.userId);

    let group = '' as string;
    await throughQueue(
      all(),
      all(),
      'chat.created',
      (f) => (f.chat as Chat).name === 'queued',
      async () => {
        group = (await makeGroup(ann, [bob.userId, cat.userId], 'queued')).chatId;
      },
    );
    const inGroup = (f: Frame) => f.chatId === group || (f.message as Message | undefined)?.chatId === group;

    let message = {} as Message;
    await throughQueue(all(), [bob, bob2, cat], 'message.created', inGroup, async () => {
      message = (await ann.ok('sendMessage', { chatId: group, text: 'hello' })).message as Message;
    });
    await throughQueue(all(), all(), 'message.updated', inGroup, () =>
      ann.ok('editMessage', { chatId: group, messageId: message.messageId, text: 'edited' }),
    );
    await throughQueue(all(), all(), 'message.reacted', inGroup, () =>
      cat.ok('react', { chatId: group, messageId: message.messageId, emoji: '👍' }),
    );
    // Typing is best-effort (lambdas/fanout/ephemeral.ts): over the queue's threshold, still posted
    // in the request, never queued (a queued `false` could overtake a later `true`).
    await throughQueue(
      all(),
      [ann, cat],
      'typing',
      inGroup,
      () => bob.ok('typing', { chatId: group, isTyping: true }),
      false,
    );
    await throughQueue(all(), [ann, cat], 'message.delivered', inGroup, () =>
      bob.ok('markDelivered', { chatId: group, seq: message.seq }),
    );
    await throughQueue(all(), all(), 'message.read', inGroup, () =>
      cat.ok('readMessage', { chatId: group, messageId: message.messageId }),
    );
    await throughQueue(all(), all(), 'message.deleted', inGroup, () =>
      ann.ok('deleteMessage', { chatId: group, messageId: message.messageId }),
    );
    await throughQueue(all(), all(), 'member.joined', inGroup, () =>
      ann.ok('invite', { chatId: group, userIds: [dan] }),
    );
    await throughQueue(all(), all(), 'member.left', inGroup, () =>
      ann.ok('removeMember', { chatId: group, userId: dan }),
    );

    // Presence: ann's last socket closing ($disconnect) and a new one opening ($connect).
    const annId = ann.userId;
    const aboutAnn = (online: boolean) => (f: Frame) => f.userId === annId && f.online === online;
    await throughQueue([bob, bob2, cat], [bob, bob2, cat], 'presence', aboutAnn(false), () => ann.close());
    await throughQueue([bob, bob2, cat], [bob, bob2, cat], 'presence', aboutAnn(true), async () => {
      ann = await connectUser(stack, annId, ann.name);
    });

    // Scheduled messages: the author's other sockets (two of them, over the threshold of 1) hear of
    // a schedule and of its cancellation.
    const bob3 = await anotherSocket(stack, bob);
    const ofGroup = (f: Frame) => (f.scheduled as { chatId?: string } | undefined)?.chatId === group;
    let scheduledId = '';
    await throughQueue([...all(), bob3], [bob2, bob3], 'scheduled.created', ofGroup, async () => {
      const sendAt = new Date(Date.now() + 3_600_000).toISOString();
      const ack = await bob.ok('scheduleMessage', { chatId: group, text: 'later', sendAt });
      scheduledId = (ack.scheduled as { scheduledId: string }).scheduledId;
    });
    await throughQueue([...all(), bob3], [bob2, bob3], 'scheduled.cancelled', ofGroup, () =>
      bob.ok('cancelScheduled', { scheduledId }),
    );
    // A mute: the author's other sockets hear of it (chat.muted), the asking one has the ack.
    await throughQueue(
      [...all(), bob3],
      [bob2, bob3],
      'chat.muted',
      (f) => f.chatId === group,
      () => bob.ok('muteChat', { chatId: group }),
    );
    await bob3.close();

    await throughQueue(all(), all(), 'chat.deleted', inGroup, () => ann.ok('deleteChat', { chatId: group }));
    // One at a time, each `$disconnect` and presence post done before the next close: closed at once,
    // bob's `$disconnect` could find bob2's record (young, its socket closed, its own `$disconnect` not
    // run yet) and put his offline decision off until that record settles (lambdas/domain/presence.ts
    // `putOff`): a recheck ~60 s later on the fan-out queue, which the next test's `stack.idle()` waited
    // for (62 s in a loaded run). A post to a peer closing meanwhile would be retried for seconds too.
    for (const socket of all()) {
      await socket.close();
      await stack.idle();
    }
  });
});

describe('the fan-out worker under Management API faults', { timeout: 120_000 }, () => {
  it('queues the sockets whose posts failed again (delayed) and delivers once; forgets a gone socket and its roster entry', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const cat = await connectUser(stack, uniqueId('cat'));
    const chatId = (await makeGroup(ann, [bob.userId, cat.userId], 'faults')).chatId;
    await stack.idle();

    // bob's socket answers 500 to the worker's three attempts: its job goes back to the queue.
    stack.gateway.injectFault({ status: 500, count: 3, connectionId: bob.connectionId });
    // cat's socket is gone (410, and older than a handshake): the worker deletes its connection record
    // and roster entry.
    await ageSocket(stack, cat);
    stack.gateway.injectFault({ status: 410, connectionId: cat.connectionId });
    const sent = queue().stats.sent;
    const { message } = await ann.ok('sendMessage', { chatId, text: 'through faults' });
    await stack.idle();
    await bob.request('ping');
    const created = eventsOf(
      bob,
      'message.created',
      (f) => (f.message as Message).messageId === (message as Message).messageId,
    );
    expect(created).toHaveLength(1);
    // The first job (bob and cat, 2 to a job), the retry of bob's socket alone, and the offline
    // check of cat, whose last socket it was (lambdas/fanout/directory.ts `gone`).
    expect(queue().stats.sent).toBe(sent + 3);
    expect(await storedConnectionIds(stack, cat.userId)).not.toContain(cat.connectionId);
    // The worker removed cat's record, so it gave its socket slot back (its `$disconnect` will not).
    const slots = (await stack.items(`LIMIT#${cat.userId}`)).find((i) => i.sk === 'SOCKETS');
    expect(slots?.count).toBe(0);
    const roster = (await stack.items(`ROSTER#${chatId}`)).map((i) => String(i.sk));
    expect(roster.some((sk) => sk.includes(cat.connectionId))).toBe(false);
    expect(roster.some((sk) => sk.includes(bob.connectionId))).toBe(true);
    await Promise.all([ann, bob, cat].map((s) => s.close()));
  });
});

describe('a post made in the request (one socket: under the threshold)', { timeout: 120_000 }, () => {
  it('markDelivered forgets a gone socket: its connection record and its roster entry', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeGroup(ann, [bob.userId], 'inline');
    const message = await sendText(ann, chat.chatId, 'hi');
    await stack.idle();
    const sent = queue().stats.sent;
    await ageSocket(stack, ann); // gone, not still in its $connect
    stack.gateway.injectFault({ status: 410, connectionId: ann.connectionId });
    await bob.ok('markDelivered', { chatId: chat.chatId, seq: message.seq });
    await stack.idle();
    // One socket: posted by markDelivered itself; the one job is the offline check of ann, whose
    // last socket it was (lambdas/fanout/directory.ts `gone`).
    expect(queue().stats.sent).toBe(sent + 1);
    expect(await storedConnectionIds(stack, ann.userId)).not.toContain(ann.connectionId);
    const roster = (await stack.items(`ROSTER#${chat.chatId}`)).map((i) => String(i.sk));
    expect(roster.some((sk) => sk.includes(ann.connectionId))).toBe(false);
    await Promise.all([ann, bob].map((s) => s.close()));
  });

  it('muteChat forgets a gone socket of the caller: its connection record', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const ann2 = await anotherSocket(stack, ann);
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeGroup(ann, [bob.userId], 'muted');
    await stack.idle();
    await ageSocket(stack, ann2); // gone, not still in its $connect
    stack.gateway.injectFault({ status: 410, connectionId: ann2.connectionId });
    await ann.ok('muteChat', { chatId: chat.chatId });
    await stack.idle();
    expect(await storedConnectionIds(stack, ann.userId)).not.toContain(ann2.connectionId);
    expect(await storedConnectionIds(stack, ann.userId)).toContain(ann.connectionId);
    await Promise.all([ann, ann2, bob].map((s) => s.close()));
  });
});
