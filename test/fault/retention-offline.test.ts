/**
 * The retention worker posts too: a finish job tells the members of a chat whose deletion it
 * finishes. A post that finds a user's only socket gone (410) queues the offline check on the fan-out
 * queue from the worker itself (lib/chat-stack.ts gives it that queue), so the user's peers learn
 * they are offline, as after any route's post (and this test's call log is what proves the worker's
 * SendMessage grant on that queue: scripts/check-iam.ts). The deletion here is one stopped after its mark, made
 * by setting the mark directly (test/fault/interrupted-delete.test.ts stops a real one).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { FANOUT_WORKER, RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, makeDirect, makeGroup, settle } from '../support/chat.ts';
import { vanishSocket } from '../support/ghost.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

// The deletion's retention job waits the finish delay (60 s by default): 1 s here.
const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
const table = useTableStore(stack);
const queueOf = (name: string) => stack.queues.get(name) as LocalQueue;

describe('a deletion finished by the retention worker', { timeout: 60_000 }, () => {
  it('announces offline a member whose only socket its post found gone', async () => {
    const owner = await connectUser(stack);
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    await makeDirect(ann, bob.userId);
    const { chatId } = await makeGroup(owner, [ann.userId, bob.userId], 'Marked, not finished');
    await settle(stack, owner, ann, bob);
    await vanishSocket(stack, bob);
    await table.doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `CHAT#${chatId}`, sk: 'META' },
        UpdateExpression: 'SET deletedAt = :at',
        ExpressionAttributeValues: { ':at': new Date().toISOString() },
      }),
    );
    const offlineJobs = queueOf(FANOUT_WORKER.name).stats.sent;
    queueOf(RETENTION_WORKER.name).send(JSON.stringify({ v: 1, kind: 'finishDeletion', chatId }));
    await stack.idle({ timers: true });
    await ann.event('chat.deleted', (f) => f.chatId === chatId);
    await ann.event('presence', (f) => f.userId === bob.userId && f.online === false);
    // The worker queued the check (the fan-out queue's only job here).
    expect(queueOf(FANOUT_WORKER.name).stats.sent).toBe(offlineJobs + 1);
    await closeAll(stack, owner, ann);
  });
});
