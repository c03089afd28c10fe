/**
 * A socket that keeps sending after `RATE_LIMITED` is closed (lambdas/shared/flood-guard.ts): the
 * frame that makes more than FLOOD_REFUSALS_MAX frames sent after the grace of the first refusal
 * (and before its retryAfterMs) is answered `RATE_LIMITED` as usual, then the server closes the
 * socket (1000, the Management API's close) and counts it (`FloodingSocketsClosed`). A burst that
 * was in flight when the first refusal went out, however big, and a client that meets a few
 * refusals and stops leave the socket open and usable, and a flood writes nothing but the
 * limiter's window. Limits are scaled down (RATE_LIMIT_FACTOR)
 * so that the floods are short; the flood threshold is not.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FLOOD_GRACE_MS, FLOOD_REFUSALS_MAX } from '../../lambdas/shared/flood-guard.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { RATE_LIMIT_FACTOR_ENV, rateLimitOf } from '../../lambdas/shared/rate-limits.ts';
import { wholeTable } from '../fault/hostile/harness.ts';
import {
  anotherSocket,
  closeAll,
  connectUser,
  makeDirect,
  settle,
  storedConnectionIds,
} from '../support/chat.ts';
import { eventually, type Frame, HandshakeError, sleep, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;
let metrics: MetricValues[] = [];
let stopMetrics: () => unknown = () => undefined;
let savedFactor: string | undefined;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());
beforeEach(() => {
  metrics = [];
  stopMetrics = onMetrics((m) => metrics.push(m));
  // ping and sendMessage: 30 a minute (so 30 admitted, then refusals).
  savedFactor = process.env[RATE_LIMIT_FACTOR_ENV];
  process.env[RATE_LIMIT_FACTOR_ENV] = '0.1';
});
afterEach(() => {
  stopMetrics();
  if (savedFactor === undefined) delete process.env[RATE_LIMIT_FACTOR_ENV];
  else process.env[RATE_LIMIT_FACTOR_ENV] = savedFactor;
});

const closedSockets = () => metrics.reduce((n, m) => n + (m.FloodingSocketsClosed ?? 0), 0);
const codeOf = (r: Frame) => (r.type === 'error' ? String(r.code) : String(r.type));

function maxOf(action: string): number {
  const limit = rateLimitOf(action);
  if (!limit) throw new Error(`${action} has no rate limit`);
  return limit.max;
}

/** `n` requests one after the other (each waits for its reply); their codes. */
async function oneByOne(socket: TestClient, n: number, action: string, fields = {}): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < n; i++) codes.push(codeOf(await socket.request(action, fields)));
  return codes;
}

/** How the server closed `socket`; fails when it has not within `ms`. */
async function closedWithin(socket: TestClient, ms = 10_000): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not close the socket within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([socket.closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

const key = (i: Record<string, unknown>) => `${i.pk}|${i.sk}`;

/** The keys of items added or changed between two reads of the table. */
function changed(before: Record<string, unknown>[], after: Record<string, unknown>[]): string[] {
  const old = new Map(before.map((i) => [key(i), JSON.stringify(i)]));
  return after.filter((i) => old.get(key(i)) !== JSON.stringify(i)).map(key);
}

describe('a socket that keeps sending after RATE_LIMITED', () => {
  it('is answered RATE_LIMITED, then closed by the server at the refusal past the threshold, and counted', async () => {
    const flooder = await connectUser(stack, uniqueId('flooder'));
    const other = await anotherSocket(stack, flooder);
    const max = maxOf('ping');
    expect(await oneByOne(flooder, max, 'ping')).toEqual(Array(max).fill('pong'));
    // Within the grace of the first refusal nothing counts, past the threshold or not.
    const early = FLOOD_REFUSALS_MAX + 10;
    expect(await oneByOne(flooder, early, 'ping')).toEqual(Array(early).fill('RATE_LIMITED'));
    expect(flooder.isOpen).toBe(true);
    await sleep(FLOOD_GRACE_MS + 100);
    // Refused up to the threshold after it: still open.
    const refused = await oneByOne(flooder, FLOOD_REFUSALS_MAX, 'ping');
    expect(refused).toEqual(Array(FLOOD_REFUSALS_MAX).fill('RATE_LIMITED'));
    expect(flooder.isOpen).toBe(true);
    expect(closedSockets()).toBe(0);
    // One more: answered as usual, then the socket is closed.
    const last = await flooder.request('ping');
    expect(last).toMatchObject({ type: 'error', action: 'ping', code: 'RATE_LIMITED' });
    expect(last.retryAfterMs).toBeGreaterThan(0);
    expect(await closedWithin(flooder)).toEqual({ code: 1000, reason: expect.any(String) });
    expect(closedSockets()).toBe(1);
    // Only that socket: the user's other socket is open and usable (for another action).
    expect(other.isOpen).toBe(true);
    expect(await other.request('listChats', { limit: 1 })).toMatchObject({ type: 'ack' });
    // The user cannot come straight back with a fresh grace: handshakes are refused (429) for one
    // `$connect` window from the close (its window spent), and nothing is stored for them.
    await stack.gateway.idle();
    const held = (await stack.items(`LIMIT#${flooder.userId}`)).find((i) => i.sk === '$connect');
    expect(held).toMatchObject({ count: maxOf('$connect') });
    const url = await stack.urlFor(flooder.userId, { name: flooder.name });
    await expect(TestClient.connect(url)).rejects.toEqual(new HandshakeError(429));
    expect(await storedConnectionIds(stack, flooder.userId)).toEqual([other.connectionId]);
    // Other users connect as usual.
    const someoneElse = await connectUser(stack, uniqueId('else'));
    expect((await someoneElse.request('ping')).type).toBe('pong');
    await closeAll(stack, flooder, other, someoneElse);
  });

  it('frames of no known action are counted under one limit, whatever name each frame makes up', async () => {
    const flooder = await connectUser(stack, uniqueId('names'));
    const max = maxOf('$default');
    for (let i = 0; i < max; i++)
      expect(codeOf(await flooder.request(`made-up-${i}`))).not.toBe('RATE_LIMITED');
    expect(codeOf(await flooder.request('made-up-first'))).toBe('RATE_LIMITED');
    await sleep(FLOOD_GRACE_MS + 100);
    // A new name on every frame: still the one `$default` limit, so the socket is closed.
    for (let i = 0; i < FLOOD_REFUSALS_MAX + 1; i++)
      expect(codeOf(await flooder.request(`made-up-late-${i}`))).toBe('RATE_LIMITED');
    expect((await closedWithin(flooder)).code).toBe(1000);
    expect(closedSockets()).toBe(1);
  });

  it('wrote nothing but the limiter window: a flood of valid sends, all refused, until the close', async () => {
    const flooder = await connectUser(stack, uniqueId('sender'));
    const peer = await connectUser(stack, uniqueId('peer'));
    const { chatId } = await makeDirect(flooder, peer.userId);
    await settle(stack);
    const before = await wholeTable(stack, doc);
    // The window is spent by frames the contract refuses (they write only the lease)...
    const max = maxOf('sendMessage');
    expect(await oneByOne(flooder, max, 'sendMessage', { chatId, text: 5 })).toEqual(
      Array(max).fill('BAD_REQUEST'),
    );
    // ... then a flood of valid sends, all at once, as a hostile client sends them: a first burst
    // within the grace of its first refusal, and one after it.
    const replies: Frame[] = [];
    const flood = (i: number) => {
      flooder
        .waitFor((f) => f.requestId === `flood-${i}`, 30_000)
        .then(
          (r) => replies.push(r),
          () => undefined, // frames in flight when the socket closed get no reply
        );
      flooder.send({ action: 'sendMessage', requestId: `flood-${i}`, chatId, text: `flood ${i}` });
    };
    const burst = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) flood(i);
    };
    burst(0, FLOOD_REFUSALS_MAX + 20);
    await eventually(() => replies.length === FLOOD_REFUSALS_MAX + 20);
    expect(flooder.isOpen).toBe(true);
    await sleep(FLOOD_GRACE_MS + 100);
    burst(FLOOD_REFUSALS_MAX + 20, FLOOD_REFUSALS_MAX + 20);
    expect((await closedWithin(flooder)).code).toBe(1000);
    // Its `$disconnect` has run.
    await eventually(() => !stack.gateway.connectionIds.includes(flooder.connectionId));
    await settle(stack);
    expect(replies.length).toBeGreaterThanOrEqual(2 * FLOOD_REFUSALS_MAX + 21);
    expect(new Set(replies.map(codeOf))).toEqual(new Set(['RATE_LIMITED']));
    expect(closedSockets()).toBe(1);
    // Nothing was stored or announced: the flood wrote the limiter's window and nothing else; the
    // rest is what any close of the socket does (`$disconnect`: its record removed, the user's
    // socket count and last seen updated).
    const after = await wholeTable(stack, doc);
    const user = flooder.userId;
    expect(changed(before, after).sort()).toEqual(
      [
        `LIMIT#${user}|sendMessage`,
        `LIMIT#${user}|$connect`, // its handshakes held after the close
        `LIMIT#${user}|SOCKETS`,
        `USER#${user}|PROFILE`,
      ].sort(),
    );
    const kept = new Set(after.map(key));
    expect(before.map(key).filter((k) => !kept.has(k))).toEqual([
      `USER#${user}|CONN#${flooder.connectionId}`,
    ]);
    expect(peer.events('message.created')).toEqual([]);
    await closeAll(stack, peer);
  });

  it('a client whose many requests in flight are all refused, and that then retries a few times, stays open', async () => {
    const client = await connectUser(stack, uniqueId('polite'));
    const max = maxOf('ping');
    expect(await oneByOne(client, max, 'ping')).toEqual(Array(max).fill('pong'));
    // Twice the threshold in flight at once (a catch-up over many chats): all refused.
    const inFlight = 2 * FLOOD_REFUSALS_MAX;
    const answers = await Promise.all(Array.from({ length: inFlight }, () => client.request('ping')));
    expect(answers.map(codeOf)).toEqual(Array(inFlight).fill('RATE_LIMITED'));
    // Then a few retries too early, after the grace.
    await sleep(FLOOD_GRACE_MS + 100);
    const retries = 5;
    expect(await oneByOne(client, retries, 'ping')).toEqual(Array(retries).fill('RATE_LIMITED'));
    await sleep(200);
    await stack.gateway.idle();
    expect(client.isOpen).toBe(true);
    expect(await client.request('listChats', { limit: 1 })).toMatchObject({ type: 'ack' });
    expect(closedSockets()).toBe(0);
    await closeAll(stack, client);
  });
});
