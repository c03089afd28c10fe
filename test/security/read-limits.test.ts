/**
 * Every frame counts against its sender's rate limit: reads (`listChats`, `history`, `sync`, …), `ping`,
 * frames the contract refuses (counted before validation) and frames no route matches (`$default`).
 * Beyond a limit: `RATE_LIMITED` with `retryAfterMs`, and nothing written but the limiter's lease.
 * Within the limits, a client's catch-up after a reconnect (listChats pages, then sync and history per
 * chat that moved, for a client in hundreds of chats) is never refused.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_FACTOR_ENV, type RateLimit, rateLimitOf } from '../../lambdas/shared/rate-limits.ts';
import { ROUTES } from '../../lib/routes.ts';
import { wholeTable } from '../fault/hostile/harness.ts';
import { closeAll, connectUser, makeDirect, makeGroup, sendText } from '../support/chat.ts';
import type { Frame, TestClient } from '../support/client.ts';
import { limitOf } from '../support/rate-limit.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());

const everything = () => wholeTable(stack, doc);

const key = (i: Record<string, unknown>) => `${i.pk}|${i.sk}`;

/** The items a flood wrote or changed: only the limiter's window of `userId` and `action` may be one. */
function changed(before: Record<string, unknown>[], after: Record<string, unknown>[]): string[] {
  const old = new Map(before.map((i) => [key(i), JSON.stringify(i)]));
  return after.filter((i) => old.get(key(i)) !== JSON.stringify(i)).map(key);
}

/** `total` frames (each with its own requestId), `AT_ONCE` in flight, and their replies in order. */
async function flood(
  socket: TestClient,
  total: number,
  frame: (i: number) => Record<string, unknown>,
): Promise<Frame[]> {
  const replies: Frame[] = [];
  for (let from = 0; from < total; from += AT_ONCE) {
    const batch = Array.from({ length: Math.min(AT_ONCE, total - from) }, (_, j) => {
      const i = from + j;
      const requestId = `flood-${i}-${uniqueId('r')}`;
      const reply = socket.waitFor((f) => f.requestId === requestId, 45_000, `reply ${i}`);
      socket.send({ ...frame(i), requestId });
      return reply;
    });
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}

/** Frames in flight at once: a flood, not a load test of the local gateway on two cores. */
const AT_ONCE = 8;

function tally(replies: Frame[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) {
    const code = r.type === 'error' ? String(r.code) : String(r.type);
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
}

function expectRetryAfter(replies: Frame[], limit: RateLimit): void {
  const limited = replies.filter((r) => r.code === 'RATE_LIMITED');
  expect(limited.length).toBeGreaterThan(0);
  for (const r of limited) {
    expect(Number.isInteger(r.retryAfterMs)).toBe(true);
    expect(r.retryAfterMs).toBeGreaterThan(0);
    expect(r.retryAfterMs).toBeLessThanOrEqual(limit.windowSeconds * 1000);
    expect(String(r.message)).toMatch(/too many/i);
  }
}

/** Runs `body` with every limit scaled by `factor` (short floods). */
async function scaled<T>(factor: number, body: () => Promise<T>): Promise<T> {
  const saved = process.env[RATE_LIMIT_FACTOR_ENV];
  process.env[RATE_LIMIT_FACTOR_ENV] = String(factor);
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env[RATE_LIMIT_FACTOR_ENV];
    else process.env[RATE_LIMIT_FACTOR_ENV] = saved;
  }
}

describe('every frame is rate limited', () => {
  it('every route a client can send to has a per-user limit (reads, ping and $default too)', () => {
    const unlimited = ROUTES.map((r) => r.routeKey).filter(
      (k) => k !== '$disconnect' && rateLimitOf(k, {}) === undefined,
    );
    expect(unlimited).toEqual([]);
  });

  it('invalid frames count before validation: BAD_REQUEST within the limit, RATE_LIMITED beyond, nothing written but the lease', async () => {
    const sender = await connectUser(stack, uniqueId('bad'));
    const peer = await connectUser(stack, uniqueId('peer'));
    const { chatId } = await makeDirect(sender, peer.userId);
    await scaled(0.1, async () => {
      const limit = limitOf('sendMessage');
      const extra = 10;
      const before = await everything();
      const replies = await flood(sender, limit.max + extra, (i) => ({
        action: 'sendMessage',
        chatId,
        text: 5,
        clientMessageId: `bad-${i}`,
      }));
      expect(tally(replies)).toEqual({ BAD_REQUEST: limit.max, RATE_LIMITED: extra });
      expectRetryAfter(replies, limit);
      for (const r of replies) expect(r.action).toBe('sendMessage');
      // The window spent by invalid frames refuses a valid one too.
      const valid = await sender.request('sendMessage', { chatId, text: 'hi', clientMessageId: 'ok-1' });
      expect(valid).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
      expect(changed(before, await everything())).toEqual([`LIMIT#${sender.userId}|sendMessage`]);
    });
    expect(peer.events('message.created')).toEqual([]);
    await closeAll(stack, sender, peer);
  });

  it('$default: unknown actions and frames without one are limited too, writing only the lease', async () => {
    const sender = await connectUser(stack, uniqueId('junk'));
    await scaled(0.5, async () => {
      const limit = limitOf('$default');
      const extra = 8;
      const before = await everything();
      const replies = await flood(sender, limit.max + extra, (i) =>
        i % 2 === 0 ? { action: `noSuchAction${i}` } : { text: 'no action' },
      );
      const got = tally(replies);
      expect((got.UNKNOWN_ACTION ?? 0) + (got.BAD_REQUEST ?? 0)).toBe(limit.max);
      expect(got.RATE_LIMITED).toBe(extra);
      expectRetryAfter(replies, limit);
      expect(changed(before, await everything())).toEqual([`LIMIT#${sender.userId}|$default`]);
    });
    // Other actions have limits of their own: the socket stays usable.
    expect((await sender.request('ping')).type).toBe('pong');
    await closeAll(stack, sender);
  });

  it('a read flood (listChats, getPresence) is refused beyond its limit', async () => {
    const reader = await connectUser(stack, uniqueId('reader'));
    const peer = await connectUser(stack, uniqueId('peer'));
    await makeDirect(reader, peer.userId);
    for (const [action, fields] of [
      ['listChats', { limit: 1 }],
      ['getPresence', { userIds: [peer.userId] }],
    ] as const) {
      const limit = limitOf(action);
      const extra = 6;
      const before = await everything();
      const replies = await flood(reader, limit.max + extra, () => ({ action, ...fields }));
      expect(tally(replies), action).toEqual({ ack: limit.max, RATE_LIMITED: extra });
      expectRetryAfter(replies, limit);
      expect(changed(before, await everything()), action).toEqual([`LIMIT#${reader.userId}|${action}`]);
    }
    await closeAll(stack, reader, peer);
  });

  it('a catch-up after a reconnect is never refused: listChats pages, then sync and history per chat, for hundreds of chats', async () => {
    const user = await connectUser(stack, uniqueId('catchup'));
    const peers = await Promise.all([1, 2, 3].map(() => connectUser(stack, uniqueId('friend'))));
    const chats = [
      ...(await Promise.all(peers.map((p) => makeDirect(user, p.userId)))),
      await makeGroup(
        user,
        peers.map((p) => p.userId),
      ),
    ];
    for (const c of chats) await sendText(user, c.chatId, 'news');
    // A client in 300 chats that all moved, as client/src/sync.ts catches up: listChats pages of 100
    // (3), sync per chat (here the same few chats stand for 300), history for a third of them (chats
    // not loaded yet), then the presence of the people shown, and keep-alives.
    const frames: [string, Record<string, unknown>][] = [
      ...[0, 1, 2].map((): [string, Record<string, unknown>] => ['listChats', { limit: 100 }]),
      ...Array.from({ length: 300 }, (_, i): [string, Record<string, unknown>] => [
        'sync',
        { chatId: chats[i % chats.length]?.chatId, sinceVer: 0, limit: 100 },
      ]),
      ...Array.from({ length: 100 }, (_, i): [string, Record<string, unknown>] => [
        'history',
        { chatId: chats[i % chats.length]?.chatId, limit: 100 },
      ]),
      ...Array.from({ length: 10 }, (): [string, Record<string, unknown>] => [
        'getPresence',
        { userIds: peers.map((p) => p.userId) },
      ]),
      ['ping', {}],
    ];
    // Four at a time, as the client's pool does.
    const replies: Frame[] = [];
    for (let i = 0; i < frames.length; i += 4) {
      const batch = frames.slice(i, i + 4);
      replies.push(...(await Promise.all(batch.map(([action, fields]) => user.request(action, fields)))));
    }
    expect(tally(replies)).toEqual({ ack: frames.length - 1, pong: 1 });
    await closeAll(stack, user, ...peers);
  });
});
