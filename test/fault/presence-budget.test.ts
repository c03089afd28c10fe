/**
 * The presence announcement budget end to end (presence.ts `PRESENCE_ANNOUNCEMENTS`, window shortened
 * here to `WINDOW` seconds): a change the budget refuses is announced at the window's end by one
 * delayed recheck on the fan-out queue, and a state already announced is not announced (nor counted)
 * again.
 */
import { describe, expect, it, vi } from 'vitest';
import { closeConnection } from '../../lambdas/domain/connections.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { PRESENCE_WINDOW_ENV } from '../../lambdas/shared/config.ts';
import { closeAll, connectUser, eventsOf, makeDirect, settle } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

/** Long enough for a flap of five changes to fit in one window, short enough to wait out. */
const WINDOW = 6;
const stack = useTestStack({ env: { [PRESENCE_WINDOW_ENV]: String(WINDOW) } });

const about = (userId: string) => (f: Frame) => f.userId === userId;

async function profileOf(userId: string) {
  return (await stack.items(`USER#${userId}`)).find((i) => String(i.sk).startsWith('PROFILE'));
}

describe('presence budget', () => {
  it('announces the true state at the window’s end when the last change of a flap was refused', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const annId = uniqueId('ann');
    let ann = await connectUser(stack, annId);
    await makeDirect(ann, bob.userId);
    // Her phone flaps: off, on, off, on, off (for the night): five changes, the fifth beyond the budget.
    for (let i = 0; i < 2; i++) {
      await closeAll(stack, ann);
      ann = await connectUser(stack, annId);
    }
    await closeAll(stack, ann);
    await settle(stack, bob);
    const heard = () => eventsOf(bob, 'presence', about(annId)).map((f) => f.online);
    expect(heard()).toEqual([false, true, false, true]);
    // The recheck runs when the window is over and tells Bob she is offline.
    await vi.waitFor(() => expect(heard()).toEqual([false, true, false, true, false]), {
      timeout: (WINDOW + 10) * 1000,
      interval: 200,
    });
    const [state] = (await bob.ok('getPresence', { userIds: [annId] })).presence as { online: boolean }[];
    expect(state?.online).toBe(false);
    expect((await profileOf(annId))?.presencePending).toBeUndefined();
    await bob.close();
  });

  it('announces a gone socket offline once, though its $disconnect comes after the 410 did', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const chat = await makeDirect(ann, bob.userId);
    await settle(stack, ann, bob);
    await vanishSocket(stack, ann);
    // A post finds her only socket gone (410): the fan-out worker's offline check announces her offline.
    await bob.ok('typing', { chatId: chat.chatId, isTyping: true });
    await bob.event('presence', (f) => about(ann.userId)(f) && f.online === false);
    // Then her socket's $disconnect arrives after all (as API Gateway sends it).
    await closeConnection(deps(), { userId: ann.userId, name: 'Ann' }, { connectionId: ann.connectionId });
    await stack.idle();
    await settle(stack, bob);
    expect(eventsOf(bob, 'presence', about(ann.userId)).map((f) => f.online)).toEqual([false]);
    // One announcement, one slot of the budget.
    expect((await profileOf(ann.userId))?.presenceCount).toBe(1);
    await bob.close();
  });
});
