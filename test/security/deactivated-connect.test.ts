/**
 * `$connect` refuses a deactivated user (docs/security.md, "Ending a user's access") with the write
 * it makes anyway: `deactivateUser` sets `deactivatedAt` on the user's socket count (`LIMIT#<id>` /
 * `SOCKETS`), so the claim of a socket slot fails, and the handshake is answered 401 having stored
 * nothing: no connection item, no roster entry, the count as it was. `reactivateUser` removes it.
 * The authorizer reads nothing from the table. Each refusal is counted (`DeactivatedRefused`).
 *
 * Real sockets through the local gateway, DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import { onMetrics } from '../../lambdas/shared/metrics.ts';
import { closeAll, connectUser, makeGroup, storedConnectionIds } from '../support/chat.ts';
import { eventually, HandshakeError, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const socketCount = async (userId: string) =>
  (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === 'SOCKETS');
const rosterEntries = async (chatId: string, userId: string) =>
  (await stack.items(`ROSTER#${chatId}`)).filter((i) => String(i.sk).startsWith(`ONLINE#${userId}#`));

describe("a deactivated user's handshake", { timeout: 60_000 }, () => {
  it('is refused (401) by $connect, which writes nothing; reactivateUser lets them in again', async () => {
    const admin = await TestClient.connect(await stack.urlFor(uniqueId('admin'), { roles: ['admin'] }));
    const alice = await connectUser(stack, uniqueId('alice'));
    const mallory = await connectUser(stack, uniqueId('mallory'));
    const { chatId } = await makeGroup(alice, [mallory.userId], 'Roster');
    expect(await rosterEntries(chatId, mallory.userId)).toHaveLength(1);

    await admin.ok('deactivateUser', { userId: mallory.userId });
    await mallory.closed;
    // Its `$disconnect` (run by the gateway once the close is seen) gives the slot back.
    await eventually(async () => (await socketCount(mallory.userId))?.count === 0, 20_000);
    await stack.gateway.idle();
    const before = await socketCount(mallory.userId);
    expect(before).toMatchObject({ count: 0, deactivatedAt: expect.any(String) });
    expect(await storedConnectionIds(stack, mallory.userId)).toEqual([]);
    expect(await rosterEntries(chatId, mallory.userId)).toEqual([]);

    const refused: number[] = [];
    const stop = onMetrics((m) => m.DeactivatedRefused && refused.push(m.DeactivatedRefused));
    try {
      for (let i = 0; i < 2; i++) {
        await expect(connectUser(stack, mallory.userId)).rejects.toEqual(new HandshakeError(401));
      }
      await stack.gateway.idle();
    } finally {
      stop();
    }
    // Each refusal counted (docs/operations.md), apart from the authorizer's `TokensRefused`.
    expect(refused).toEqual([1, 1]);
    expect(await storedConnectionIds(stack, mallory.userId)).toEqual([]);
    expect(await rosterEntries(chatId, mallory.userId)).toEqual([]);
    expect(await socketCount(mallory.userId)).toEqual(before);

    await admin.ok('reactivateUser', { userId: mallory.userId });
    expect(await socketCount(mallory.userId)).not.toHaveProperty('deactivatedAt');
    const back = await connectUser(stack, mallory.userId);
    expect(await storedConnectionIds(stack, mallory.userId)).toHaveLength(1);
    expect(await rosterEntries(chatId, mallory.userId)).toHaveLength(1);
    expect(await socketCount(mallory.userId)).toMatchObject({ count: 1 });
    await closeAll(stack, back, alice);
    await admin.close();
  });

  it('is refused also for a user who never connected (the mark creates the count item)', async () => {
    const admin = await TestClient.connect(await stack.urlFor(uniqueId('admin'), { roles: ['admin'] }));
    const newcomer = uniqueId('newcomer');
    await admin.ok('deactivateUser', { userId: newcomer });
    await expect(connectUser(stack, newcomer)).rejects.toEqual(new HandshakeError(401));
    await stack.gateway.idle();
    expect(await storedConnectionIds(stack, newcomer)).toEqual([]);
    expect(await socketCount(newcomer)).toEqual({
      pk: `LIMIT#${newcomer}`,
      sk: 'SOCKETS',
      deactivatedAt: expect.any(String),
    });
    await admin.close();
  });
});
