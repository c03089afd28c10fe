/**
 * Issue 17, item 1: handshakes are rate-limited per user (`$connect` in lambdas/shared/rate-limits.ts,
 * 60 a minute; scaled to 6 here with RATE_LIMIT_FACTOR). Beyond it the handshake is refused with 429
 * and nothing is stored; other users are not affected.
 */
import { describe, expect, it } from 'vitest';
import { closeAll, connectUser, storedConnectionIds } from '../support/chat.ts';
import { HandshakeError, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const PER_MINUTE = 6;
const stack = useTestStack({ env: { RATE_LIMIT_FACTOR: String(PER_MINUTE / 60) } });

describe('handshake rate limit', () => {
  it(`lets ${PER_MINUTE} handshakes a minute in, refuses the next with 429 and stores nothing`, async () => {
    const userId = uniqueId('reconnecting');
    for (let i = 0; i < PER_MINUTE; i++) {
      const socket = await connectUser(stack, userId, 'Reconnecting');
      expect((await socket.request('ping')).type).toBe('pong');
      await closeAll(stack, socket);
    }
    const url = await stack.urlFor(userId, { name: 'Reconnecting' });
    await expect(TestClient.connect(url)).rejects.toEqual(new HandshakeError(429));
    await stack.gateway.idle();
    expect(await storedConnectionIds(stack, userId)).toEqual([]);
    const profile = (await stack.items(`USER#${userId}`)).filter((i) => String(i.sk).startsWith('CONN#'));
    expect(profile).toEqual([]);

    // Someone else connects normally meanwhile.
    const other = await connectUser(stack, uniqueId('other'));
    expect((await other.request('ping')).type).toBe('pong');
    await closeAll(stack, other);
  });
});
