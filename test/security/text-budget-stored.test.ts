/**
 * The daily text budget counts each message stored once, by the request that stored it: not again
 * for a repeat (a scheduleMessage answered with the schedule made before, a sendMessage duplicate),
 * and also when the send is answered INTERNAL after its message was stored (its cursor move failed:
 * the client's retry is then a duplicate, never counted). Bytes ride on the next lease write of the
 * action, so each test reads the item after a later frame carried them. The cursor move's failure
 * is injected into the handlers' DynamoDB client (they run in this process).
 */
import { describe, expect, it } from 'vitest';
import { storedTextBytes } from '../../lambdas/shared/rate-limiter.ts';
import { connectUsers, makeDirect, makeGroup, type UserSocket } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The chat whose sender cursor moves fail (each attempt: the send is answered INTERNAL). */
let cursorFails: string | undefined;
const stack = useInterceptedStack((command, input) => {
  if (cursorFails && command === 'UpdateItemCommand' && input.includes('SET lastReadSeq = :seq')) {
    if (input.includes(cursorFails))
      throw Object.assign(new Error('injected: unavailable'), { name: 'InternalServerError' });
  }
  return undefined;
});

/** The bytes of today counted on `user`'s item of `action`. */
async function counted(user: UserSocket, action: string): Promise<number> {
  const item = (await stack.items(`LIMIT#${user.userId}`)).find((i) => i.sk === action);
  return Number(item?.[`bytes${Math.floor(Date.now() / DAY_MS)}`] ?? 0);
}

describe('the daily text budget counts a message stored once', () => {
  it('a scheduleMessage repeat answered with the schedule made before counts nothing more', async () => {
    const [ann, bob] = await connectUsers(stack, 2, 'budget-repeat');
    if (!ann || !bob) throw new Error('two users');
    const { chatId } = await makeDirect(ann, bob.userId);
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const fields = { chatId, text: 'x'.repeat(1000), sendAt, clientMessageId: 'same-1' };
    const first = await ann.ok('scheduleMessage', fields);
    const repeat = await ann.ok('scheduleMessage', fields);
    expect(repeat.scheduled).toEqual(first.scheduled);
    // scheduleMessage leases one frame: this one's write carries the two frames' bytes before it.
    await ann.ok('scheduleMessage', { chatId, text: 'later', sendAt, clientMessageId: 'other-2' });
    expect(await counted(ann, 'scheduleMessage')).toBe(storedTextBytes(fields.text));
    await Promise.all([ann.close(), bob.close()]);
  });

  it('a send answered INTERNAL after its message was stored counts it; its retry (a duplicate) does not', async () => {
    const [ann, bob] = await connectUsers(stack, 2, 'budget-internal');
    if (!ann || !bob) throw new Error('two users');
    const { chatId } = await makeGroup(ann, [bob.userId]);
    const fields = { chatId, text: 'y'.repeat(2000), clientMessageId: 'cm-1' };
    cursorFails = chatId;
    const failed = await ann.request('sendMessage', fields);
    cursorFails = undefined;
    expect(failed).toMatchObject({ type: 'error', code: 'INTERNAL' });
    // The retry is the stored message; its lease write carries the bytes noted before it.
    expect(await ann.ok('sendMessage', fields)).toMatchObject({ duplicate: true });
    expect(await counted(ann, 'sendMessage')).toBe(storedTextBytes(fields.text));
    await Promise.all([ann.close(), bob.close()]);
  });
});
