/**
 * Stale connections: sockets that vanished without a close frame (no `$disconnect`, the record stays
 * in the table) are found gone (410) on the next fan-out, their record is deleted, and delivery to
 * everyone else proceeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClients } from '../../lambdas/shared/clients.ts';
import {
  connectUser,
  connectUsers,
  eventsOf,
  ISO_TIME,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import { countingClient, type PostRecord } from '../support/counting-client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { useTestStack } from '../support/stack.ts';

// 20 sockets of one user below: above the default per-user cap of 10 (issue 17).
const stack = useTestStack({ env: { MAX_SOCKETS_PER_USER: '25' } });
const posts: PostRecord[] = [];

beforeAll(() => {
  setClients({ managementClient: countingClient(stack.managementEndpoint, posts) });
});
afterAll(() => {
  setClients({ managementClient: undefined });
});

describe('stale connections', () => {
  it('deletes the record of a vanished socket on the next fan-out and still delivers to the live ones', async () => {
    const [sender, carol] = await connectUsers(stack, 2, 'stale');
    const bobPhone = await connectUser(stack, `stale-bob-${Date.now()}`);
    const bobLaptop = await connectUser(stack, bobPhone.userId);
    const chat = await makeGroup(sender as UserSocket, [bobPhone.userId, (carol as UserSocket).userId]);
    await settle(stack, sender as UserSocket, bobPhone, bobLaptop, carol as UserSocket);

    await vanishSocket(stack, bobPhone);
    await vanishSocket(stack, carol as UserSocket);
    // Precondition: without a close frame nothing ran, the records are still there.
    expect(await storedConnectionIds(stack, bobPhone.userId)).toEqual(
      expect.arrayContaining([bobPhone.connectionId, bobLaptop.connectionId]),
    );
    expect(await storedConnectionIds(stack, (carol as UserSocket).userId)).toEqual([
      (carol as UserSocket).connectionId,
    ]);

    const mark = posts.length;
    const message = await sendText(sender as UserSocket, chat.chatId, 'anyone there?');
    const event = await bobLaptop.event(
      'message.created',
      (f) => (f.message as { messageId: string }).messageId === message.messageId,
    );
    expect(event.message).toEqual(message);

    // The fan-out ran inside the handler: by the ack the stale records are gone, the live one stays.
    await stack.gateway.idle();
    expect(await storedConnectionIds(stack, bobPhone.userId)).toEqual([bobLaptop.connectionId]);
    expect(await storedConnectionIds(stack, (carol as UserSocket).userId)).toEqual([]);
    // 410 is final: one attempt, no retry.
    expect(
      posts
        .slice(mark)
        .filter((p) => p.connectionId === bobPhone.connectionId)
        .map((p) => p.status),
    ).toEqual([410]);

    // The next message is not posted to the stale sockets at all.
    const before = posts.length;
    const second = await sendText(sender as UserSocket, chat.chatId, 'second');
    await bobLaptop.event(
      'message.created',
      (f) => (f.message as { messageId: string }).messageId === second.messageId,
    );
    await stack.gateway.idle();
    const targets = posts.slice(before).map((p) => p.connectionId);
    expect(targets).toEqual([bobLaptop.connectionId]);
    await Promise.all([sender, bobLaptop].map((s) => s?.close()));
  });

  it('cleans many stale sockets of one fan-out at once and delivers exactly once to every live socket', async () => {
    const [sender, live1, live2] = await connectUsers(stack, 3, 'many');
    const ghostUser = `ghost-${Date.now()}`;
    const ghosts: UserSocket[] = [];
    for (let i = 0; i < 20; i++) ghosts.push(await connectUser(stack, ghostUser));
    const liveGhostSocket = await connectUser(stack, ghostUser);
    const chat = await makeGroup(sender as UserSocket, [
      (live1 as UserSocket).userId,
      (live2 as UserSocket).userId,
      ghostUser,
    ]);
    await settle(stack, sender as UserSocket, live1 as UserSocket, live2 as UserSocket, liveGhostSocket);
    for (const g of ghosts) await vanishSocket(stack, g);
    expect(await storedConnectionIds(stack, ghostUser)).toHaveLength(21);

    const message = await sendText(sender as UserSocket, chat.chatId, 'through the fog');
    for (const socket of [live1, live2, liveGhostSocket] as UserSocket[]) {
      await socket.event(
        'message.created',
        (f) => (f.message as { messageId: string }).messageId === message.messageId,
      );
    }
    await settle(stack, sender as UserSocket, live1 as UserSocket, live2 as UserSocket, liveGhostSocket);
    for (const socket of [live1, live2, liveGhostSocket] as UserSocket[]) {
      const got = socket
        .events('message.created')
        .filter((f) => (f.message as { messageId: string }).messageId === message.messageId);
      expect(got).toHaveLength(1);
    }
    expect(await storedConnectionIds(stack, ghostUser)).toEqual([liveGhostSocket.connectionId]);
    // The sender's own socket never gets its own message.created.
    expect((sender as UserSocket).events('message.created')).toEqual([]);
    await Promise.all([sender, live1, live2, liveGhostSocket].map((s) => s?.close()));
  });

  it('answers the sender even when every recipient socket is stale', async () => {
    const [sender, peer] = await connectUsers(stack, 2, 'alone');
    const chat = await makeGroup(sender as UserSocket, [(peer as UserSocket).userId]);
    await settle(stack, sender as UserSocket, peer as UserSocket);
    await vanishSocket(stack, peer as UserSocket);
    const reply = await (sender as UserSocket).request('sendMessage', {
      chatId: chat.chatId,
      text: 'hello?',
    });
    expect(reply).toMatchObject({ type: 'ack', duplicate: false });
    await stack.gateway.idle();
    expect(await storedConnectionIds(stack, (peer as UserSocket).userId)).toEqual([]);
    await (sender as UserSocket).close();
  });

  it('announces offline the user whose last socket a post found gone ($disconnect never came)', async () => {
    const ann = await connectUser(stack, `vanish-ann-${Date.now()}`);
    const bob = await connectUser(stack, `vanish-bob-${Date.now()}`);
    const chat = await makeDirect(ann, bob.userId);
    await settle(stack, ann, bob);
    await vanishSocket(stack, ann);
    // Bob types to Ann: the post finds her only socket gone and removes its record. (Through typing:
    // since typing is never queued, this is the path that uses its grant to the fan-out queue, for
    // the IAM check; any post does the same.)
    await bob.ok('typing', { chatId: chat.chatId, isTyping: true });
    const offline = await bob.event('presence', (f) => f.userId === ann.userId && f.online === false);
    expect(offline.lastSeenAt).toEqual(expect.stringMatching(ISO_TIME));
    expect(await storedConnectionIds(stack, ann.userId)).toEqual([]);
    // And getPresence agrees: offline, last seen now (not at her connect).
    const [state] = (await bob.ok('getPresence', { userIds: [ann.userId] })).presence as {
      online: boolean;
    }[];
    expect(state).toEqual({ userId: ann.userId, online: false, lastSeenAt: offline.lastSeenAt });
    await bob.close();
  });

  it('announces nothing when the gone socket was not the user’s last', async () => {
    const annPhone = await connectUser(stack, `vanish-two-${Date.now()}`);
    const annLaptop = await connectUser(stack, annPhone.userId);
    const bob = await connectUser(stack, `vanish-peer-${Date.now()}`);
    const chat = await makeDirect(annPhone, bob.userId);
    await settle(stack, annPhone, annLaptop, bob);
    await vanishSocket(stack, annPhone);
    await sendText(bob, chat.chatId, 'one of them');
    await annLaptop.event('message.created');
    await stack.idle();
    await settle(stack, annLaptop, bob);
    expect(eventsOf(bob, 'presence', (f) => f.userId === annPhone.userId)).toEqual([]);
    await Promise.all([annLaptop.close(), bob.close()]);
  });
});
