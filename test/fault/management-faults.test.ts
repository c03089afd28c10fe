/**
 * Management API faults injected by the local gateway (`injectFault`): 410 cleans the connection up
 * (never retried, never queued); 429 and 500 are retried a bounded number of times in the request
 * (then delivered, or handed to the fan-out queue, whose worker posts them a second later) while the
 * rest of the fan-out proceeds and the sender still gets its ack.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LATE_DELAY_SECONDS } from '../../lambdas/fanout/fanout.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { connectUsers, makeGroup, settle, storedConnectionIds, type UserSocket } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { countingClient, type PostRecord } from '../support/counting-client.ts';
import { ageSocket } from '../support/ghost.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const posts: PostRecord[] = [];
/** Jobs sent to the fan-out queue so far. */
const fanOutJobs = () => (stack.queues.get(FANOUT_WORKER.name) as LocalQueue).stats.sent;

beforeAll(() => {
  setClients({ managementClient: countingClient(stack.managementEndpoint, posts) });
});
afterEach(() => {
  stack.gateway.clearFaults();
});
afterAll(() => {
  setClients({ managementClient: undefined });
});

const messageIdOf = (f: Frame) => (f.message as { messageId?: string } | undefined)?.messageId;

/** A group of sender + two recipients; returns the sockets and the chat id. */
async function trio(prefix: string) {
  const [sender, target, bystander] = (await connectUsers(stack, 3, prefix)) as [
    UserSocket,
    UserSocket,
    UserSocket,
  ];
  const chat = await makeGroup(sender, [target.userId, bystander.userId]);
  await settle(stack, sender, target, bystander);
  return { sender, target, bystander, chatId: chat.chatId };
}

async function sendAndSettle(t: Awaited<ReturnType<typeof trio>>, text: string) {
  const mark = posts.length;
  const ack = await t.sender.request('sendMessage', { chatId: t.chatId, text });
  expect(ack).toMatchObject({ type: 'ack', action: 'sendMessage', duplicate: false });
  const messageId = messageIdOf(ack) as string;
  // The bystander always gets it: one failing recipient never stops the fan-out.
  await t.bystander.event('message.created', (f) => messageIdOf(f) === messageId);
  await settle(stack, t.sender, t.target, t.bystander);
  const toTarget = posts.slice(mark).filter((p) => p.connectionId === t.target.connectionId);
  const delivered = t.target.events('message.created').filter((f) => messageIdOf(f) === messageId);
  return { messageId, toTarget, delivered };
}

async function closeTrio(t: Awaited<ReturnType<typeof trio>>) {
  await Promise.all([t.sender, t.target, t.bystander].map((s) => s.close()));
}

describe('Management API faults during fan-out', () => {
  it('410 Gone: the connection record is deleted, no retry, the others still get the event', async () => {
    const t = await trio('gone');
    await ageSocket(stack, t.target); // gone, not still in its $connect
    stack.gateway.injectFault({ status: 410, count: 1, connectionId: t.target.connectionId });
    const mark = posts.length;
    const { messageId, toTarget, delivered } = await sendAndSettle(t, 'gone?');
    expect(toTarget.map((p) => p.status)).toEqual([410]);
    expect(delivered).toEqual([]);
    expect(await storedConnectionIds(stack, t.target.userId)).toEqual([]);
    // Not handed to the queue either (its only job checks whether the user went offline): the socket
    // is really open here, and a post the worker made would reach it.
    await new Promise((r) => setTimeout(r, (LATE_DELAY_SECONDS + 1) * 1000));
    await settle(stack, t.sender, t.target, t.bystander);
    const later = posts.slice(mark).filter((p) => p.connectionId === t.target.connectionId);
    expect(later.map((p) => p.status)).toEqual([410]);
    expect(t.target.events('message.created').filter((f) => messageIdOf(f) === messageId)).toEqual([]);
    expect(await storedConnectionIds(stack, t.bystander.userId)).toEqual([t.bystander.connectionId]);
    await closeTrio(t);
  });

  it.each([
    [429, 1],
    [429, 2],
    [500, 1],
    [500, 2],
    [503, 2],
  ] as const)('%i ×%i: retried, then delivered exactly once; the record stays', async (status, count) => {
    const t = await trio(`retry${status}`);
    stack.gateway.injectFault({ status, count, connectionId: t.target.connectionId });
    const { toTarget, delivered } = await sendAndSettle(t, `through ${status}`);
    expect(toTarget.map((p) => p.status)).toEqual([...Array(count).fill(status), 200]);
    expect(delivered).toHaveLength(1);
    expect(await storedConnectionIds(stack, t.target.userId)).toEqual([t.target.connectionId]);
    await closeTrio(t);
  });

  it.each([429, 500] as const)(
    '%i on every attempt of the request: handed to the queue, whose worker delivers it once; the ack and the rest proceed',
    async (status) => {
      const t = await trio(`handon${status}`);
      // As many faults as the request makes attempts (3): the worker's first post gets through.
      stack.gateway.injectFault({ status, count: 3, connectionId: t.target.connectionId });
      const [jobs, mark] = [fanOutJobs(), posts.length];
      const { messageId } = await sendAndSettle(t, `late through ${status}`);
      const event = await t.target.event('message.created', (f) => messageIdOf(f) === messageId);
      expect(event).toMatchObject({ message: { text: `late through ${status}` } });
      await settle(stack, t.sender, t.target, t.bystander);
      expect(fanOutJobs()).toBe(jobs + 1);
      const toTarget = posts.slice(mark).filter((p) => p.connectionId === t.target.connectionId);
      expect(toTarget.map((p) => p.status)).toEqual([status, status, status, 200]);
      // A second after the request's last attempt (LATE_DELAY_SECONDS), by the worker.
      const [last, worker] = toTarget.slice(-2) as [PostRecord, PostRecord];
      expect(worker.at - last.at).toBeGreaterThanOrEqual(LATE_DELAY_SECONDS * 1000 - 50);
      const delivered = t.target.events('message.created').filter((f) => messageIdOf(f) === messageId);
      expect(delivered).toHaveLength(1);
      expect(await storedConnectionIds(stack, t.target.userId)).toEqual([t.target.connectionId]);
      await closeTrio(t);
    },
  );

  it('faults on every connection at once: the sender still gets its ack and the message is stored', async () => {
    const t = await trio('storm');
    stack.gateway.injectFault({ status: 500, count: 100 });
    const ack = await t.sender.request('sendMessage', { chatId: t.chatId, text: 'into the storm' });
    expect(ack).toMatchObject({ type: 'ack', duplicate: false });
    stack.gateway.clearFaults();
    await settle(stack, t.sender, t.target, t.bystander);
    const history = await t.bystander.request('history', { chatId: t.chatId });
    expect((history.messages as { messageId: string }[]).map((m) => m.messageId)).toEqual([messageIdOf(ack)]);
    await closeTrio(t);
  });
});
