/**
 * Malformed and hostile frames: each gets the right error frame (the code is asserted), nothing is
 * written (every partition the attacker could touch is compared before and after, and the
 * attacker's chat list too) and the socket stays usable (a ping after each).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUsers, makeDirect, makeGroup, sendText, settle, type UserSocket } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { ACTION_CASES } from './hostile/action-cases.ts';
import { ENVELOPE_CASES } from './hostile/envelope-cases.ts';
import { SEND_MESSAGE_CASES } from './hostile/send-message-cases.ts';
import type { Case, FrameSpec, World } from './hostile/world.ts';

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

/**
 * Everything alice's frames could have changed: the whole table (it belongs to this file, so it is
 * small), read consistently in one Scan — a write anywhere, even to a partition nobody knew of, shows.
 */
async function snapshot(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => (`${a.pk}|${a.sk}` < `${b.pk}|${b.sk}` ? -1 : 1));
}

let counter = 0;

async function exchange(
  socket: UserSocket,
  spec: FrameSpec,
): Promise<{ reply: Frame; requestId: string | null }> {
  if (typeof spec === 'string') {
    const match = /"requestId":"([^"]+)"/.exec(spec);
    const requestId = match?.[1] ?? null;
    const from = socket.frames.length;
    socket.sendRaw(spec);
    const reply = await socket.waitFor(
      (f) => socket.frames.indexOf(f) >= from && (f.type === 'error' || f.type === 'ack'),
      10_000,
      'reply to a raw frame',
    );
    return { reply, requestId };
  }
  const requestId = 'requestId' in spec ? null : `hostile-${++counter}`;
  const frame = requestId ? { ...spec, requestId } : spec;
  const from = socket.frames.length;
  socket.send(frame);
  const reply = await socket.waitFor(
    (f) =>
      socket.frames.indexOf(f) >= from &&
      (f.type === 'error' || f.type === 'ack') &&
      (requestId === null || f.requestId === requestId),
    10_000,
    'reply',
  );
  return { reply, requestId };
}

describe('malformed and hostile frames', () => {
  it('has at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    const marks = [alice, bob, carol].map((s) => s.frames.length);
    const spec = c.frame(w);
    const { reply, requestId } = await exchange(alice, spec);
    expect(reply).toMatchObject({ type: 'error', code: c.code });
    expect(typeof reply.message).toBe('string');
    // No internals leak into the message.
    expect(String(reply.message)).not.toMatch(/at .*\.ts:\d+|Exception|stack/i);
    if (requestId !== null) expect(reply.requestId).toBe(requestId);
    if (c.action !== undefined) expect(reply.action).toBe(c.action);
    else if (typeof spec === 'object' && typeof spec.action === 'string')
      expect(reply.action).toBe(spec.action);
    await settle(stack, alice, bob, carol);
    const after = await snapshot();
    expect(after.length).toBeGreaterThan(10);
    expect(after).toEqual(before);
    // Nobody got an event out of it.
    [alice, bob, carol].forEach((s, i) => {
      const events = s.frames
        .slice(marks[i])
        .filter((f) => !['ack', 'error', 'pong'].includes(String(f.type)));
      expect(events).toEqual([]);
    });
    // settle() has just pinged every socket: alice's socket answered after the hostile frame.
    expect(alice.frames.at(-1)).toMatchObject({ type: 'pong' });
    expect(alice.isOpen).toBe(true);
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
