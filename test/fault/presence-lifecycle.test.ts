/**
 * Presence and the connection records when `$connect` and `$disconnect` race or fail, end to end. The
 * faults are injected into the handlers' DynamoDB client (they run in this process): a request held
 * to force an interleaving, or failed in front of the SDK's retries.
 *
 * - A reconnect: the old socket's `$disconnect` decides "offline" before the new socket is stored,
 *   and its offline post lands after the new socket's online one. The user must end online.
 * - A `$connect` whose roster write fails after its connection was stored: the handshake is refused
 *   (no `$disconnect` will come), so the record and the socket slot must be taken back, and peers
 *   must not have been told online.
 * - A `$disconnect` whose membership read fails (throttling): peers must still be told offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anotherSocket,
  closeAll,
  connectUser,
  eventsOf,
  makeDirect,
  makeGroup,
  settle,
  storedConnectionIds,
} from '../support/chat.ts';
import { deferred, type Frame, HandshakeError, TestClient } from '../support/client.ts';
import { type BeforeCommand, interceptHandlerClient } from '../support/handler-client.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';

let stack: TestStack;
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
/** Runs before every command of the handlers while it is set. */
let intercept: BeforeCommand | undefined;
const injected = () =>
  Object.assign(new Error('injected: throughput exceeded'), {
    name: 'ProvisionedThroughputExceededException',
  });

beforeAll(async () => {
  stack = await startTestStack();
  handlers = interceptHandlerClient(stack.dynamoEndpoint, (command, input) => intercept?.(command, input));
});
afterAll(async () => {
  intercept = undefined;
  handlers?.restore();
  await stack?.stop();
});

/** The user's stored socket count (`LIMIT#<userId>` / `SOCKETS`). */
async function socketCount(userId: string): Promise<number> {
  const item = (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === 'SOCKETS');
  return Number(item?.count ?? 0);
}

const presenceOf = (socket: TestClient, userId: string) =>
  eventsOf(socket, 'presence', (f: Frame) => f.userId === userId).map((f) => f.online);

describe('a reconnect racing the old socket’s $disconnect', () => {
  it('ends online when the offline post lands after the new socket’s online one', async () => {
    const bob = await connectUser(stack);
    const alice = await connectUser(stack, uniqueId('alice'));
    await makeDirect(bob, alice.userId);
    await settle(stack, bob);
    const before = presenceOf(bob, alice.userId).length;

    // The old socket's `$disconnect` found no socket (it goes offline) and is held at its last-seen
    // write, before its offline post, until the new socket has opened and announced online.
    const held = deferred();
    const released = deferred();
    intercept = async (command, input) => {
      const lastSeen = input.includes('"#lastSeenAt"') && !input.includes('"#name"');
      if (command !== 'UpdateItemCommand' || !lastSeen || !input.includes(`"USER#${alice.userId}"`)) return;
      intercept = undefined;
      held.resolve();
      await released.promise;
    };
    await alice.close();
    await held.promise;
    const again = await anotherSocket(stack, alice);
    await bob.request('ping'); // posted after the new socket's online event, which its $connect awaited
    expect(presenceOf(bob, alice.userId).slice(before)).toEqual([true]);
    released.resolve();
    await settle(stack, bob);

    const events = presenceOf(bob, alice.userId).slice(before);
    expect(events).toContain(false);
    expect(events.at(-1)).toBe(true);
    expect((await bob.ok('getPresence', { userIds: [alice.userId] })).presence).toEqual([
      expect.objectContaining({ online: true }),
    ]);
    await closeAll(stack, again);
    bob.close();
  });
});

describe('a $connect that fails after storing its connection', () => {
  it('takes the record and the slot back, and never tells peers online', async () => {
    const bob = await connectUser(stack);
    const aliceId = uniqueId('alice');
    await makeDirect(bob, aliceId);
    await makeGroup(bob, [aliceId], 'Roster');
    intercept = (command, input) => {
      if (
        command === 'BatchWriteItemCommand' &&
        input.includes('PutRequest') &&
        input.includes(`#${aliceId}#`)
      ) {
        throw injected();
      }
    };
    const url = await stack.urlFor(aliceId);
    await expect(TestClient.connect(url).finally(() => (intercept = undefined))).rejects.toBeInstanceOf(
      HandshakeError,
    );
    await settle(stack, bob);

    expect(await storedConnectionIds(stack, aliceId)).toEqual([]);
    expect(await socketCount(aliceId)).toBe(0);
    expect(presenceOf(bob, aliceId)).toEqual([]);
    expect((await bob.ok('getPresence', { userIds: [aliceId] })).presence).toEqual([
      expect.objectContaining({ online: false }),
    ]);
    bob.close();
  });
});

describe('a $disconnect whose membership read fails', () => {
  it('still records last-seen and tells peers offline', async () => {
    const bob = await connectUser(stack);
    const alice = await connectUser(stack, uniqueId('alice'));
    await makeDirect(bob, alice.userId);
    await settle(stack, bob);

    // The membership-index Query of alice fails twice (the read for the roster cleanup and its retry).
    let failures = 0;
    intercept = (command, input) => {
      const memberships =
        command === 'QueryCommand' &&
        input.includes('"IndexName":"gsi1"') &&
        input.includes(`"USER#${alice.userId}"`) &&
        !input.includes('ProjectionExpression');
      if (memberships && failures < 2) {
        failures++;
        throw injected();
      }
    };
    await closeAll(stack, alice);
    intercept = undefined;
    await settle(stack, bob);

    expect(presenceOf(bob, alice.userId).at(-1)).toBe(false);
    expect(failures).toBe(2);
    expect(await storedConnectionIds(stack, alice.userId)).toEqual([]);
    expect(await socketCount(alice.userId)).toBe(0);
    const profile = (await stack.items(`USER#${alice.userId}`)).find((i) => i.sk === 'PROFILE');
    const [presence] = (await bob.ok('getPresence', { userIds: [alice.userId] })).presence as Frame[];
    expect(presence).toEqual({ userId: alice.userId, online: false, lastSeenAt: profile?.lastSeenAt });
    bob.close();
  });
});
