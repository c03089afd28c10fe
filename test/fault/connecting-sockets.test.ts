/**
 * A socket inside its `$connect` has its records stored but is not open yet: the Management API
 * answers 410 for it, exactly as for a gone socket (on AWS too). Such a 410 must not remove its
 * records (a socket whose `$connect` then completes would get no events until it reconnected): only
 * records older than `HANDSHAKE_SECONDS` are forgotten on a 410 (issue 17: concurrent handshakes).
 *
 * The first tests store the records of a socket that never opened, as a `$connect` in progress
 * leaves them, then post to its user; the last one races real handshakes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONNECTION, connectionExpiresAt } from '../../lambdas/data/items.ts';
import { ROSTER_ENTRY } from '../../lambdas/data/items-groups.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import {
  aboutMessage,
  connectUser,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import { ageSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;
let metrics: MetricValues[] = [];
let stopMetrics = () => {};

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc.destroy());
beforeEach(() => {
  metrics = [];
  stopMetrics = onMetrics((m) => metrics.push(m));
});
afterEach(() => stopMetrics());

const removed = () => metrics.reduce((n, m) => n + (m.StaleConnectionsRemoved ?? 0), 0);

/** What a `$connect` in progress has stored for a socket the gateway does not know yet. */
async function connectingSocket(userId: string, groupIds: readonly string[] = []): Promise<string> {
  const connectionId = uniqueId('connecting');
  const connectedAt = new Date().toISOString();
  const put = (Item: Record<string, unknown>) =>
    doc.send(new PutCommand({ TableName: stack.tableName, Item }));
  await put(CONNECTION.toItem({ userId, connectionId, connectedAt }));
  const expiresAt = connectionExpiresAt(connectedAt);
  for (const chatId of groupIds) await put(ROSTER_ENTRY.toItem({ chatId, userId, connectionId, expiresAt }));
  return connectionId;
}

const rosterIds = async (chatId: string) =>
  (await stack.items(`ROSTER#${chatId}`)).map((i) => String(i.sk).split('#').pop());

describe('a 410 from a socket still in its $connect', () => {
  it('keeps its record in a direct chat; once it is older than the handshake, the next 410 removes it', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeDirect(alice, bob.userId);
    const pending = await connectingSocket(bob.userId);

    const first = await sendText(alice, chat.chatId, 'hello while you connect');
    expect(await bob.event('message.created', aboutMessage(first.messageId))).toBeTruthy();
    await settle(stack, alice, bob);
    expect(await storedConnectionIds(stack, bob.userId)).toEqual(
      expect.arrayContaining([bob.connectionId, pending]),
    );
    expect(removed()).toBe(0);

    // The same socket a little over a minute later is not connecting any more: it is gone.
    expect(await ageSocket(stack, { userId: bob.userId, connectionId: pending })).toBe(1);
    const second = await sendText(alice, chat.chatId, 'still there?');
    expect(await bob.event('message.created', aboutMessage(second.messageId))).toBeTruthy();
    await settle(stack, alice, bob);
    expect(await storedConnectionIds(stack, bob.userId)).toEqual([bob.connectionId]);
    expect(removed()).toBe(1);
  });

  it('keeps its roster entry and record in a group; removes both once it is old enough', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const group = await makeGroup(owner, [member.userId]);
    const pending = await connectingSocket(member.userId, [group.chatId]);
    expect(await rosterIds(group.chatId)).toContain(pending);

    await sendText(owner, group.chatId, 'to the group');
    await settle(stack, owner, member);
    expect(await rosterIds(group.chatId)).toContain(pending);
    expect(await storedConnectionIds(stack, member.userId)).toContain(pending);

    expect(await ageSocket(stack, { userId: member.userId, connectionId: pending })).toBe(2);
    await sendText(owner, group.chatId, 'again');
    await settle(stack, owner, member);
    expect(await rosterIds(group.chatId)).not.toContain(pending);
    expect(await storedConnectionIds(stack, member.userId)).toEqual([member.connectionId]);
  });

  it('keeps it when a presence announcement reaches it (a peer coming online meanwhile)', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    await makeDirect(alice, bob.userId);
    await alice.close();
    await stack.gateway.idle();
    const pending = await connectingSocket(bob.userId);

    const back = await connectUser(stack, alice.userId); // presence: online, posted to Bob's sockets
    expect(await bob.event('presence', (f) => f.userId === alice.userId && f.online === true)).toBeTruthy();
    await settle(stack, back, bob);
    expect(await storedConnectionIds(stack, bob.userId)).toContain(pending);
    expect(removed()).toBe(0);
  });
});

describe('presence while a socket of the user is in its $connect', () => {
  const profileOf = async (userId: string) =>
    (await stack.items(`USER#${userId}`)).find((i) => i.sk === 'PROFILE');

  it('does not announce the user offline when their last open socket closes: no offline event', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    await makeDirect(alice, bob.userId);
    const pending = await connectingSocket(bob.userId); // S2, in its handshake
    const closedAt = new Date().toISOString();

    // S1 closes: its $disconnect finds S2 (410, too young to forget): the decision is put off to a
    // recheck when S2 is settled (test/fault/presence-truth.test.ts), the close recorded as last seen.
    await bob.close();
    await stack.gateway.idle();
    await settle(stack, alice);
    expect(alice.events('presence').filter((f) => f.userId === bob.userId)).toEqual([]);
    expect(String((await profileOf(bob.userId))?.lastSeenAt) >= closedAt).toBe(true);
    expect(await storedConnectionIds(stack, bob.userId)).toEqual([pending]);

    // Once that socket is older than the handshake, a 410 means gone: the next close is offline.
    expect(await ageSocket(stack, { userId: bob.userId, connectionId: pending })).toBe(1);
    const again = await connectUser(stack, bob.userId);
    await settle(stack, again, alice);
    await again.close();
    await stack.gateway.idle();
    expect(await alice.event('presence', (f) => f.userId === bob.userId && f.online === false)).toMatchObject(
      { lastSeenAt: expect.any(String) },
    );
    expect(await storedConnectionIds(stack, bob.userId)).toEqual([]);
  });
});

describe('handshakes racing each other', () => {
  it('loses no record when both users of a chat open several sockets at the same moment', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeDirect(alice, bob.userId);
    await Promise.all([alice.close(), bob.close()]);
    await stack.gateway.idle();

    for (let round = 0; round < 3; round++) {
      const sockets: UserSocket[] = await Promise.all(
        [alice.userId, bob.userId, alice.userId, bob.userId].map((id) => connectUser(stack, id)),
      );
      await settle(stack, ...sockets);
      for (const userId of [alice.userId, bob.userId]) {
        const open = sockets.filter((s) => s.userId === userId).map((s) => s.connectionId);
        expect((await storedConnectionIds(stack, userId)).sort()).toEqual(open.sort());
      }
      // And every one of them gets the chat's next message.
      const sender = sockets[0] as UserSocket;
      const sent = await sendText(sender, chat.chatId, `round ${round}`);
      for (const s of sockets.slice(1))
        expect(await s.event('message.created', aboutMessage(sent.messageId))).toBeTruthy();
      await Promise.all(sockets.map((s) => s.close()));
      await stack.gateway.idle();
    }
  });
});
