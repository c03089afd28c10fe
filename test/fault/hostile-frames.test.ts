/**
 * Malformed and hostile frames: each gets the right error frame (the code is asserted), nothing is
 * written (every partition the attacker could touch is compared before and after, and the
 * attacker's chat list too) and the socket stays usable (a ping after each).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUsers, makeDirect, makeGroup, sendText, settle, type UserSocket } from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';
import { ACTION_CASES } from './hostile/action-cases.ts';
import { ENVELOPE_CASES } from './hostile/envelope-cases.ts';
import { expectRefusedCleanly, tableSnapshot } from './hostile/harness.ts';
import { SEND_MESSAGE_CASES } from './hostile/send-message-cases.ts';
import type { Case, World } from './hostile/world.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;

let w: World;

beforeAll(async () => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  [alice, bob, carol] = (await connectUsers(stack, 3, 'hostile')) as [UserSocket, UserSocket, UserSocket];
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const g = (await makeGroup(bob, [alice.userId, carol.userId], 'bob’s group')).chatId;
  w = {
    alice: alice.userId,
    carol: carol.userId,
    ab,
    bc,
    g,
    aliceMsgInAb: await sendText(alice, ab, 'hello bob'),
    bobMsgInAb: await sendText(bob, ab, 'hello alice'),
    bobMsgInBc: await sendText(bob, bc, 'private to carol'),
    bobMsgInG: await sendText(bob, g, 'hello group'),
  };
  await settle(stack, alice, bob, carol);
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  doc?.destroy();
});

const CASES: Case[] = [...ENVELOPE_CASES, ...SEND_MESSAGE_CASES, ...ACTION_CASES];

describe('malformed and hostile frames', () => {
  it('has at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { after } = await expectRefusedCleanly(
      { stack, attacker: alice, everyone: [alice, bob, carol], state: () => tableSnapshot(stack, doc) },
      c,
      w,
    );
    expect((after as unknown[]).length).toBeGreaterThan(10);
  });

  it('left the world intact: the real messages are still there, unchanged', async () => {
    const ab = await alice.ok('history', { chatId: w.ab });
    expect(ab.messages).toEqual([w.aliceMsgInAb, w.bobMsgInAb]);
    const bc = await bob.ok('history', { chatId: w.bc });
    expect(bc.messages).toEqual([w.bobMsgInBc]);
    const g = await carol.ok('getChat', { chatId: w.g });
    expect((g.chat as { ownerId: string }).ownerId).toBe(bob.userId);
    expect(((g.chat as { members: unknown[] }).members ?? []).length).toBe(3);
  });
});
