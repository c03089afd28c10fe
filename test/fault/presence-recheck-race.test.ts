/**
 * A presence recheck racing the `$disconnect` of the socket it found open (presence.ts
 * `recheckPresence`): the recheck asks the gateway, finds the user's socket open and decides online;
 * the socket then closes and its `$disconnect` runs to the end (record deleted; offline deduplicated
 * as already shown, or announced when the mark had been taken back) before the recheck claims and
 * posts online. Peers used to show the user online until their next change. The recheck now lists
 * the sockets again once it announced online, and announces offline when none is left.
 * And the other way: a recheck that found no socket and decides offline, the user reconnecting before
 * it claims (the new `$connect`'s online deduplicated, still shown); the recheck then posted offline
 * last, and peers showed a connected user offline until the next change. It now reads the sockets
 * again once it announced offline, as `$disconnect` does, and announces online when one is there.
 * Real sockets through the local gateway, DynamoDB Local, the real `$disconnect`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import { type Deps, deps } from '../../lambdas/domain/deps.ts';
import { recheckPresence } from '../../lambdas/domain/presence.ts';
import { closeAll, connectUser, eventsOf, makeDirect, settle, storedConnectionIds } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const about = (userId: string) => (f: Frame) => f.userId === userId;

/** Sets the state last announced for the user (`presenceShown`), or removes it (a mark taken back). */
async function setShown(userId: string, shown: boolean | undefined): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.profile(userId),
        ...(shown === undefined
          ? { UpdateExpression: 'REMOVE presenceShown' }
          : { UpdateExpression: 'SET presenceShown = :s', ExpressionAttributeValues: { ':s': shown } }),
      }),
    );
  } finally {
    doc.destroy();
  }
}

/**
 * deps() whose first profile read runs `between` first: the recheck reads the profile right after it
 * found a socket open, and before it claims its announcement.
 */
function pausedAfterSockets(between: () => Promise<void>): Deps {
  const base = deps();
  let paused = false;
  const profiles = new Proxy(base.store.profiles, {
    get(target, key) {
      if (key === 'getMany')
        return async (...args: Parameters<typeof target.getMany>) => {
          if (!paused) {
            paused = true;
            await between();
          }
          return target.getMany(...args);
        };
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const store = new Proxy(base.store, {
    get: (target, key) => (key === 'profiles' ? profiles : Reflect.get(target, key)),
  });
  return { ...base, store };
}

describe('a recheck racing the $disconnect of the socket it found open', { timeout: 60_000 }, () => {
  for (const [label, shown] of [
    ['last announced offline (a budget recheck)', false],
    ['its mark taken back after a failed post (a retry recheck)', undefined],
  ] as const) {
    it(`ends offline: ${label}`, async () => {
      const bob = await connectUser(stack, uniqueId('bob'));
      const ann = await connectUser(stack, uniqueId('ann'));
      await makeDirect(ann, bob.userId);
      await settle(stack, ann, bob);
      await setShown(ann.userId, shown);
      const before = eventsOf(bob, 'presence', about(ann.userId)).length;
      // Her socket closes (its `$disconnect` runs to the end) after the recheck found it open.
      await recheckPresence(
        pausedAfterSockets(() => closeAll(stack, ann)),
        ann.userId,
      );
      await settle(stack, bob);
      const heard = eventsOf(bob, 'presence', about(ann.userId)).slice(before);
      expect(await storedConnectionIds(stack, ann.userId)).toEqual([]);
      expect(heard.at(-1)).toMatchObject({ online: false, lastSeenAt: expect.any(String) });
      const asked = await bob.ok('getPresence', { userIds: [ann.userId] });
      expect(asked.presence).toEqual([expect.objectContaining({ online: false })]);
      await closeAll(stack, bob);
    });
  }
});

describe('a recheck deciding offline racing a reconnect', { timeout: 60_000 }, () => {
  it('ends online', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await settle(stack, ann, bob);
    await closeAll(stack, ann);
    await settle(stack, bob);
    // Her offline was refused by the budget: still shown online, a recheck queued for the window's end.
    await setShown(ann.userId, true);
    const before = eventsOf(bob, 'presence', about(ann.userId)).length;
    let again: Awaited<ReturnType<typeof connectUser>> | undefined;
    // The recheck found no socket; she reconnects (her online deduplicated) before it claims.
    await recheckPresence(
      pausedAfterSockets(async () => {
        again = await connectUser(stack, ann.userId);
      }),
      ann.userId,
    );
    await settle(stack, bob);
    const heard = eventsOf(bob, 'presence', about(ann.userId)).slice(before);
    expect(heard.map((f) => f.online)).toEqual([false, true]);
    const asked = await bob.ok('getPresence', { userIds: [ann.userId] });
    expect(asked.presence).toEqual([expect.objectContaining({ online: true })]);
    if (again) await closeAll(stack, again);
    await closeAll(stack, bob);
  });
});
