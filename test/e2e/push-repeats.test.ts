/**
 * A batch retried after one of its records failed (lambdas/pipeline/stream.ts: the partial batch
 * response makes Lambda, and the local poller, retry from the lowest failed record) must not push
 * the batch's other messages again: the push function marks each message it pushed
 * (lambdas/data/push-marks.ts) and skips a message it finds marked. Both ways a message is pushed
 * are covered: sent by the push function itself, and queued as jobs for the push worker (a job
 * size of 1 here: a message with two recipients to look up goes to jobs).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { store } from '../../lambdas/data/store.ts';
import { makeDirect, makeGroup, sendText } from '../support/chat.ts';
import {
  contentOf,
  offlineUser,
  pipelineSettled,
  pushesTo,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

const stack = usePushStack({ env: { PUSH_JOB_SIZE: '1' } });
const alice = useAlice(stack);

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The next read of `chatId`'s head fails once: the push function's, when installed after the sends
 * (its record fails, the batch is retried).
 */
function failOnceFor(chatId: string) {
  const chats = store().chats;
  const original = chats.getWithMembers.bind(chats);
  let failed = false;
  return vi.spyOn(chats, 'getWithMembers').mockImplementation((id, ...rest) => {
    if (id === chatId && !failed) {
      failed = true;
      return Promise.reject(new Error('injected: the chat head could not be read'));
    }
    return original(id, ...rest);
  });
}

/**
 * Sends the texts with the stream poller paused, so that their records arrive in one batch; `then`
 * runs after the sends, before the poller resumes.
 */
async function sendInOneBatch(sends: readonly (readonly [string, string])[], then: () => void) {
  stack.pipeline.streams.pause();
  try {
    const ids: string[] = [];
    for (const [chatId, text] of sends) ids.push((await sendText(alice, chatId, text)).messageId);
    then();
    return ids;
  } finally {
    stack.pipeline.streams.resume();
  }
}

const messageIdsTo = (token: string) => pushesTo(stack, token).map((r) => contentOf(r).messageId);

describe('a batch retried after one record failed', { timeout: 60_000 }, () => {
  it('pushes each message of the batch once per device (sent by the push function)', async () => {
    const token = uniqueToken('carol');
    const carol = await offlineUser(stack, [{ platform: 'apns', token }]);
    const groupA = await makeGroup(alice, [carol.userId], 'Group A');
    const directB = await makeDirect(alice, carol.userId);
    let spy: ReturnType<typeof failOnceFor> | undefined;
    const [a, b] = await sendInOneBatch(
      [
        [groupA.chatId, 'into group A'],
        [directB.chatId, 'into direct chat B'],
      ],
      () => {
        spy = failOnceFor(groupA.chatId);
      },
    );
    await waitForPushes(stack, token, 2);
    await pipelineSettled(stack);

    expect(spy?.mock.calls.filter(([id]) => id === groupA.chatId).length, 'A was tried again').toBe(2);
    expect(messageIdsTo(token).sort()).toEqual([a, b].sort());
    // Each message's mark, expiring two days on (past the stream's 24 hours).
    for (const id of [a, b]) {
      const [mark, ...more] = await stack.items(`PUSHED#${id}`);
      expect(more).toEqual([]);
      expect(mark).toMatchObject({ sk: 'PUSHED', itemType: 'pushed' });
      expect(Number(mark?.ttl) - Date.now() / 1000).toBeGreaterThan(2 * 24 * 3600 - 120);
    }
  });

  it('queues the jobs of each message of the batch once (planned by the push worker)', async () => {
    const erinToken = uniqueToken('erin');
    const fredToken = uniqueToken('fred');
    const gusToken = uniqueToken('gus');
    const erin = await offlineUser(stack, [{ platform: 'fcm', token: erinToken }]);
    const fred = await offlineUser(stack, [{ platform: 'apns', token: fredToken }]);
    const gus = await offlineUser(stack, [{ platform: 'apns', token: gusToken }]);
    const failing = await makeDirect(alice, gus.userId);
    const group = await makeGroup(alice, [erin.userId, fred.userId], 'Two to look up');
    const [x, g] = await sendInOneBatch(
      [
        [failing.chatId, 'this record fails once'],
        [group.chatId, 'planned in jobs'],
      ],
      () => failOnceFor(failing.chatId),
    );
    await waitForPushes(stack, gusToken, 1);
    await waitForPushes(stack, erinToken, 1);
    await waitForPushes(stack, fredToken, 1);
    await pipelineSettled(stack);

    expect(messageIdsTo(gusToken)).toEqual([x]);
    expect(messageIdsTo(erinToken)).toEqual([g]);
    expect(messageIdsTo(fredToken)).toEqual([g]);
  });
});
