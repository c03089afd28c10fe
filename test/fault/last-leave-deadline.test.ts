/**
 * The last member's leave deletes the group (its membership and `META` in one transaction). When
 * that transaction lands but the call gives up at the write deadline (a `TimeoutError`), the leave
 * reads the chat again to learn whether it landed: `META` gone means it did, and the leave must go
 * on as any last leave (ack, `member.left`, the chat's retention job), not loop into NOT_FOUND and
 * leave the chat's messages without a TTL for good. The handlers run in this process: their
 * DynamoDB client applies the leave's effect through another client, then throws the timeout.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, forChat, makeGroup, sendText } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { useTableStore } from '../support/table-store.ts';

/** The leave (chat and user) whose transaction lands and then times out, while set. */
let landThenTimeOut: { chatId: string; userId: string } | undefined;

const stack = useInterceptedStack(
  async (command, input) => {
    const leave = landThenTimeOut;
    if (!leave || !command.startsWith('Transact') || !input.includes(`CHAT#${leave.chatId}`)) return;
    landThenTimeOut = undefined;
    const Key = (sk: string) => ({ pk: `CHAT#${leave.chatId}`, sk });
    await table.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: stack.tableName, Key: Key(`MEMBER#${leave.userId}`) } },
          { Delete: { TableName: stack.tableName, Key: Key('META') } },
        ],
      }),
    );
    throw Object.assign(new Error('injected: landed, then the write deadline'), { name: 'TimeoutError' });
  },
  { env: { [RETENTION_FINISH_DELAY_ENV]: '1' } },
);
const table = useTableStore(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

describe('the last member’s leave that landed but timed out at the write deadline', () => {
  it('is acked as done: member.left, and the chat’s retention job expires its items', async () => {
    const owner = await connectUser(stack);
    const chat = await makeGroup(owner, [], 'Solo');
    for (let i = 0; i < 3; i++) await sendText(owner, chat.chatId, `message ${i}`);
    const sent = queue().stats.sent;

    landThenTimeOut = { chatId: chat.chatId, userId: owner.userId };
    const reply = await owner.request('removeMember', { chatId: chat.chatId, userId: owner.userId });
    expect(landThenTimeOut).toBeUndefined(); // the fault was injected
    expect(reply).toMatchObject({ type: 'ack', chatId: chat.chatId, userId: owner.userId });
    expect(await owner.event('member.left', forChat(chat.chatId))).toMatchObject({ userId: owner.userId });

    // The leave's delayed job (queued before its transaction: 1 s here) finds META gone and queues
    // the retention job.
    await stack.idle({ timers: true });
    expect(queue().stats.sent).toBe(sent + 2);
    const left = await stack.items(`CHAT#${chat.chatId}`);
    expect(left.filter((i) => String(i.sk).startsWith('MSG#'))).toHaveLength(3);
    expect(left.filter((i) => typeof i.ttl !== 'number').map((i) => i.sk)).toEqual([]);
    await closeAll(stack, owner);
  });
});
