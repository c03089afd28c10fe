/**
 * A burst of reactions on one message (30 users reacting 👍 at once): every request is answered by
 * its handler well inside the route's timeout (on AWS a handler still running then is stopped and
 * the request answers INTERNAL, whatever it had written), with an ack or CONFLICT (retryable). An
 * acked reaction is stored and announced, a refused one is neither, and the count is exact.
 */
import { describe, expect, it } from 'vitest';
import { ROUTE_TIMEOUT_SECONDS } from '../../lambdas/shared/config.ts';
import {
  aboutMessage,
  connectUser,
  connectUsers,
  eventsOf,
  history,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const reactTimes: number[] = [];
const stack = useTestStack({
  onInvoke: ({ routeKey, ms }) => {
    if (routeKey === 'react') reactTimes.push(ms);
  },
});
const table = useTableStore(stack);

const BURST = 30;

describe('react under a burst', () => {
  it('answers every one of 30 parallel reactions in time, ack or CONFLICT, counts exact', async () => {
    const owner = await connectUser(stack);
    const users = await connectUsers(stack, BURST, 'burst');
    const chat = await makeGroup(
      owner,
      users.map((u) => u.userId),
      'Burst',
    );
    const message = await sendText(owner, chat.chatId, 'react all at once');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    reactTimes.length = 0;

    // Generous reply timeouts: the limit that matters is the handler's own time, measured below.
    const replies = await Promise.all(users.map((u) => u.request('react', { ...ref, emoji: '👍' }, 60_000)));
    const outcome = (r: Frame) => (r.type === 'ack' ? 'ack' : `${r.type}:${String(r.code)}`);
    for (const r of replies) expect(['ack', 'error:CONFLICT']).toContain(outcome(r));
    expect(reactTimes).toHaveLength(BURST);
    for (const ms of reactTimes) expect(ms).toBeLessThan(ROUTE_TIMEOUT_SECONDS * 1000);

    const acked = users.filter((_, i) => replies[i]?.type === 'ack');
    const refused = users.filter((_, i) => replies[i]?.type !== 'ack');
    expect(acked.length).toBeGreaterThan(0);
    const stored = async (u: UserSocket) =>
      table.store.reactions.has({ chatId: chat.chatId, seq: message.seq, userId: u.userId, emoji: '👍' });
    for (const u of acked) expect(await stored(u), `${u.userId} acked`).toBe(true);
    for (const u of refused) expect(await stored(u), `${u.userId} refused`).toBe(false);

    const shown = (await history(owner, chat.chatId)).messages.find((m) => m.seq === message.seq);
    const [thumbs] = shown?.reactions ?? [];
    expect(thumbs?.count).toBe(acked.length);
    const ackedIds = new Set(acked.map((u) => u.userId));
    for (const id of thumbs?.userIds ?? []) expect(ackedIds.has(id)).toBe(true);

    // Announced once per stored reaction, and never for a refused one.
    await settle(stack, owner);
    const announced = eventsOf(owner, 'message.reacted', aboutMessage(message.messageId)).map(
      (e) => e.userId as string,
    );
    expect(announced.sort()).toEqual([...ackedIds].sort());
  }, 180_000);
});
