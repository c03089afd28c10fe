/**
 * Presence and the connection records when `$connect` and `$disconnect` race or fail, end to end. The
 * faults are injected into the handlers' DynamoDB client (they run in this process): a request held
 * to force an interleaving.
 *
 * - A reconnect: the old socket's `$disconnect` decides "offline" before the new socket is stored,
 *   and its offline post lands after the new socket's online one. The user must end online.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anotherSocket, closeAll, connectUser, eventsOf, makeDirect, settle } from '../support/chat.ts';
import { deferred, type Frame, type TestClient } from '../support/client.ts';
import { type BeforeCommand, interceptHandlerClient } from '../support/handler-client.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';

let stack: TestStack;
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
/** Runs before every command of the handlers while it is set. */
let intercept: BeforeCommand | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  handlers = interceptHandlerClient(stack.dynamoEndpoint, (command, input) => intercept?.(command, input));
});
afterAll(async () => {
  intercept = undefined;
  handlers?.restore();
  await stack?.stop();
});

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
