/**
 * Management API faults injected by the local gateway (`injectFault`): 410 cleans the connection up;
 * 429 and 500 are retried a bounded number of times (then delivered, or given up) while the rest of
 * the fan-out proceeds and the sender still gets its ack.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setClients } from '../../lambdas/shared/clients.ts';
import { connectUsers, makeGroup, settle, storedConnectionIds, type UserSocket } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { countingClient, type PostRecord } from '../support/counting-client.ts';
import { ageSocket } from '../support/ghost.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const posts: PostRecord[] = [];

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
    const { toTarget, delivered } = await sendAndSettle(t, 'gone?');
    expect(toTarget.map((p) => p.status)).toEqual([410]);
    expect(delivered).toEqual([]);
    expect(await storedConnectionIds(stack, t.target.userId)).toEqual([]);
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
    '%i on every attempt: given up after a bounded number of attempts; the ack and the rest of the fan-out proceed',
    async (status) => {
      const t = await trio(`giveup${status}`);
      stack.gateway.injectFault({ status, count: 50, connectionId: t.target.connectionId });
      const { toTarget, delivered } = await sendAndSettle(t, `lost to ${status}`);
      expect(delivered).toEqual([]);
      // Retried, but bounded: more than one attempt, far fewer than the faults on offer.
      expect(toTarget.length).toBeGreaterThan(1);
      expect(toTarget.length).toBeLessThanOrEqual(5);
      expect(toTarget.every((p) => p.status === status)).toBe(true);
      // Not gone: the connection is kept, and the next message reaches it once the fault clears.
      expect(await storedConnectionIds(stack, t.target.userId)).toEqual([t.target.connectionId]);
      stack.gateway.clearFaults();
      const next = await sendAndSettle(t, 'after the storm');
      expect(next.delivered).toHaveLength(1);
      // The missed message is still in history for the catch-up.
      const history = await t.target.request('history', { chatId: t.chatId });
      expect((history.messages as { text: string }[]).map((m) => m.text)).toEqual([
        `lost to ${status}`,
        'after the storm',
      ]);
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
