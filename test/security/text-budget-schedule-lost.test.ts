import { expect, it } from 'vitest';
import { storedTextBytes } from '../../lambdas/shared/rate-limiter.ts';
import { connectUsers, makeDirect, type UserSocket } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let loseAnswerOf: string | undefined;
const stack = useInterceptedStack((command, input) => {
  if (loseAnswerOf && command === 'TransactWriteItemsCommand' && input.includes(loseAnswerOf)) {
    loseAnswerOf = undefined;
    // Applied, its answer lost on the way back (after the SDK's own retries).
    return () => {
      throw Object.assign(new Error('injected: answer lost'), { name: 'TimeoutError' });
    };
  }
  return undefined;
});

async function counted(user: UserSocket, action: string): Promise<number> {
  const item = (await stack.items(`LIMIT#${user.userId}`)).find((i) => i.sk === action);
  return Number(item?.[`bytes${Math.floor(Date.now() / DAY_MS)}`] ?? 0);
}

it('a schedule whose create answer was lost (after the SDK retries) is counted once', async () => {
  const [ann, bob] = await connectUsers(stack, 2, 'budget-lost');
  if (!ann || !bob) throw new Error('two users');
  const { chatId } = await makeDirect(ann, bob.userId);
  const sendAt = new Date(Date.now() + 3_600_000).toISOString();
  const text = 'MARKER-'.repeat(300);
  const fields = { chatId, text, sendAt, clientMessageId: 'lost-1' };
  loseAnswerOf = 'MARKER-MARKER';
  // The request reads its own schedule back and answers as having stored it (counted then).
  await ann.ok('scheduleMessage', fields);
  // The client's retry is a repeat: stored nothing, counted nothing more.
  await ann.ok('scheduleMessage', fields);
  await ann.ok('scheduleMessage', { chatId, text: 'later', sendAt, clientMessageId: 'other-2' });
  const n = await counted(ann, 'scheduleMessage');
  expect(n).toBe(storedTextBytes(text));
  await Promise.all([ann.close(), bob.close()]);
});
