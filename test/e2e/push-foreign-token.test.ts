/**
 * FCM's 403 `SENDER_ID_MISMATCH` (the token is another Firebase project's) over the push pipeline:
 * it removes the device only once FCM has accepted a send of this push runtime (a container's), the
 * proof that the service account is the apps' project's. Before that it may be a credentials
 * mix-up (then every Android token answers so), and the device is kept.
 */
import { describe, expect, it } from 'vitest';
import { resetPush } from '../../lambdas/push/handler.ts';
import { makeDirect, sendText } from '../support/chat.ts';
import {
  offlineUser,
  pipelineSettled,
  pushesTo,
  storedDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

const stack = usePushStack();
const alice = useAlice(stack);

describe('a token of another Firebase project', { timeout: 60_000 }, () => {
  it('is kept while FCM has accepted no send of this runtime, and removed at its first refusal after one', async () => {
    // A fresh runtime, as a new container: its credentials are not proven yet.
    await pipelineSettled(stack);
    await resetPush();
    const foreign = uniqueToken('other-project-fcm');
    const ivan = await offlineUser(stack, [{ platform: 'fcm', token: foreign }]);
    const chat = await makeDirect(alice, ivan.userId);
    await sendText(alice, chat.chatId, 'unproven');
    await waitForPushes(stack, foreign, 1);
    await pipelineSettled(stack);
    expect(pushesTo(stack, foreign).map((r) => [r.status, r.reason])).toEqual([[403, 'SENDER_ID_MISMATCH']]);
    expect(await storedDevices(stack, ivan.userId)).toMatchObject({ tokens: [foreign], count: 1 });

    // FCM accepts a send to someone else's good token: the credentials are right.
    const good = uniqueToken('good-fcm');
    const judy = await offlineUser(stack, [{ platform: 'fcm', token: good }]);
    await sendText(alice, (await makeDirect(alice, judy.userId)).chatId, 'proof');
    await waitForPushes(stack, good, 1);
    await pipelineSettled(stack);

    await sendText(alice, chat.chatId, 'proven');
    await waitForPushes(stack, foreign, 2);
    await pipelineSettled(stack);
    expect(pushesTo(stack, foreign).map((r) => r.status)).toEqual([403, 403]);
    expect(await storedDevices(stack, ivan.userId)).toEqual({ tokens: [], ids: [], count: 0 });
  });
});
