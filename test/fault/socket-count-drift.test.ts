/**
 * The per-user socket count (`LIMIT#<userId>` / `SOCKETS`, lambdas/data/socket-count.ts) follows the
 * connection records whoever removes them: a socket found gone (410) by a fan-out or a presence probe
 * gives its slot back with its record, and its `$disconnect`, finding no record, gives back nothing.
 * Before, only `$disconnect` released, and only when its own delete found the record: every record a
 * 410 removed first kept its slot, and once the count reached the cap a handshake within a minute of
 * the last claim was refused (429) although the user had fewer open sockets. A cap of 2 here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  closeAll,
  connectUser,
  makeDirect,
  sendText,
  settle,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import { HandshakeError, TestClient } from '../support/client.ts';
import { ageSocket, vanishSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const CAP = 2;
const stack = useTestStack({ env: { MAX_SOCKETS_PER_USER: String(CAP) } });

/** The user's socket count as stored. */
async function socketCount(userId: string): Promise<number> {
  const item = (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === 'SOCKETS');
  return Number(item?.count ?? 0);
}

/** Makes the user's last claim look `seconds` older (past the recount's one-minute guard). */
async function ageLastClaim(userId: string, seconds = 65): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `LIMIT#${userId}`, sk: 'SOCKETS' },
        UpdateExpression: 'SET claimedAt = claimedAt - :s',
        ExpressionAttributeValues: { ':s': seconds },
      }),
    );
  } finally {
    doc.destroy();
  }
}

/** The user's sockets up to the cap open, and the next handshake is refused: the cap still holds. */
async function fillToCap(user: UserSocket, open: number): Promise<UserSocket[]> {
  const more: UserSocket[] = [];
  for (let i = open; i < CAP; i++) more.push(await anotherSocket(stack, user));
  const url = await stack.urlFor(user.userId, { name: user.name });
  await expect(TestClient.connect(url)).rejects.toEqual(new HandshakeError(429));
  await stack.gateway.idle();
  expect(await socketCount(user.userId)).toBe(CAP);
  return more;
}

describe('the socket count after a 410 removed a record before its $disconnect', () => {
  it('a fan-out that finds a socket gone gives its slot back; its $disconnect gives back nothing', async () => {
    const alice = await connectUser(stack, uniqueId('alice'));
    const bobA = await connectUser(stack, uniqueId('bob'));
    const bobB = await anotherSocket(stack, bobA);
    const chat = await makeDirect(alice, bobA.userId);
    await settle(stack, alice, bobA, bobB);
    expect(await socketCount(bobA.userId)).toBe(2);

    // The post that lands between bobA's close and its `$disconnect` answers 410.
    await ageSocket(stack, bobA);
    stack.gateway.injectFault({ status: 410, connectionId: bobA.connectionId });
    await sendText(alice, chat.chatId, 'hi');
    await stack.gateway.idle();
    expect(await storedConnectionIds(stack, bobA.userId)).toEqual([bobB.connectionId]);
    expect(await socketCount(bobA.userId)).toBe(1);
    await closeAll(stack, bobA);
    expect(await storedConnectionIds(stack, bobA.userId)).toEqual([bobB.connectionId]);
    expect(await socketCount(bobA.userId)).toBe(1);

    // One open socket under a cap of 2: a second is let in (within a minute of the last claim), a third not.
    const more = await fillToCap(bobB, 1);
    await closeAll(stack, alice, bobB, ...more);
    expect(await socketCount(bobA.userId)).toBe(0);
  });

  it('a presence probe that finds a socket gone gives its slot back', async () => {
    const bobA = await connectUser(stack, uniqueId('bob'));
    const bobB = await anotherSocket(stack, bobA);
    await settle(stack, bobA, bobB);
    // bobA vanishes without `$disconnect`; bobB's `$disconnect` asks the gateway about it (is Bob
    // still online?), gets 410 and removes its record.
    await vanishSocket(stack, bobA);
    await closeAll(stack, bobB);
    expect(await storedConnectionIds(stack, bobA.userId)).toEqual([]);
    expect(await socketCount(bobA.userId)).toBe(0);

    const again = await connectUser(stack, bobA.userId, bobA.name);
    const more = await fillToCap(again, 1);
    await closeAll(stack, again, ...more);
  });

  it('the recount at the cap lets the socket in once the gone sockets it found gave their slots back', async () => {
    const bobA = await connectUser(stack, uniqueId('bob'));
    const bobB = await anotherSocket(stack, bobA);
    await settle(stack, bobA, bobB);
    await ageSocket(stack, bobB);
    await vanishSocket(stack, bobA);
    // At the cap, the last claim over a minute ago: the refused claim recounts, finds bobA gone
    // (removing its record and releasing its slot), and claims again.
    await ageLastClaim(bobA.userId);
    const bobC = await connectUser(stack, bobA.userId, bobA.name);
    await stack.gateway.idle();
    expect((await storedConnectionIds(stack, bobA.userId)).sort()).toEqual(
      [bobB.connectionId, bobC.connectionId].sort(),
    );
    expect(await socketCount(bobA.userId)).toBe(2);
    await closeAll(stack, bobB, bobC);
    expect(await socketCount(bobA.userId)).toBe(0);
  });
});
