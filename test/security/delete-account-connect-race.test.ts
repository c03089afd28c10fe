/**
 * A `$connect` in flight while the account is deleted (docs/security.md, "Deleting an account"): it
 * claimed its slot before the tombstone, so its profile write (the display name) can land after the
 * request deleted the profile. Its read of the mark, made once its socket is stored, finds the
 * tombstone: the connection is taken back and the profile removed again, so the name does not come
 * back for good. A deactivated (not deleted) user's refused `$connect` keeps its profile.
 *
 * Real sockets through the local gateway, DynamoDB Local; the claim is held open in the test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deps, setDeps } from '../../lambdas/domain/deps.ts';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { connectAdmin, connectUser } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

// The deletion's job ends with a final pass after the finish delay (60 s as deployed), which
// `idle({ timers: true })` waits for.
const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
afterEach(() => setDeps(undefined));

const profileOf = async (userId: string) =>
  (await stack.items(`USER#${userId}`)).find((i) => i.sk === 'PROFILE');

/** Runs `during` while a `$connect` of `userId` has claimed its slot and not yet stored its socket. */
async function whileConnecting(
  userId: string,
  name: string,
  during: () => Promise<unknown>,
): Promise<string> {
  const store = deps().store;
  const claim = store.socketCount.claim.bind(store.socketCount);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let claimed!: () => void;
  const didClaim = new Promise<void>((r) => (claimed = r));
  store.socketCount.claim = (async (...args: Parameters<typeof claim>) => {
    const out = await claim(...args);
    if (args[0] === userId) {
      claimed();
      await gate;
    }
    return out;
  }) as typeof claim;
  try {
    const connecting = connectUser(stack, userId, name).then(
      () => 'opened',
      (e: unknown) => String(e),
    );
    await didClaim;
    await during();
    release();
    return await connecting;
  } finally {
    store.socketCount.claim = claim;
  }
}

describe('a $connect racing the deletion', { timeout: 30_000 }, () => {
  it('a $connect that claimed before the tombstone does not bring the deleted profile back', async () => {
    const admin = await connectAdmin(stack);
    const userId = uniqueId('late');
    await (await connectUser(stack, userId, 'Late Name')).close();
    await stack.gateway.idle();
    const handshake = await whileConnecting(userId, 'Late Name', async () => {
      await admin.ok('deleteUser', { userId });
      expect(await profileOf(userId)).toBeUndefined(); // the request deleted it
    });
    expect(handshake).toContain('401'); // refused: the tombstone read after the socket was stored
    await stack.idle({ timers: true });
    expect(await profileOf(userId)).toBeUndefined(); // the in-flight touch was undone
  });

  it("a deactivated user's refused $connect keeps the profile (only a deletion removes it)", async () => {
    const admin = await connectAdmin(stack);
    const userId = uniqueId('paused');
    await (await connectUser(stack, userId, 'Paused Name')).close();
    await stack.gateway.idle();
    const handshake = await whileConnecting(userId, 'Paused Name', () =>
      admin.ok('deactivateUser', { userId }),
    );
    expect(handshake).toContain('401');
    await stack.idle({ timers: true });
    expect(await profileOf(userId)).toMatchObject({ name: 'Paused Name' });
  });
});
