/**
 * Issue 17, item 1 ("a limit check should not add a DynamoDB write to every message"): rate-limit
 * leases against DynamoDB Local. Locally every route runs in one process, so two function instances
 * are two lease holders (`RateLeases`), each on its own client, driven concurrently. Time is passed
 * in (`nowMs`), so window turns need no sleeping.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import { RateLimitRepository } from '../../lambdas/data/rate-limits.ts';
import { TableClient } from '../../lambdas/data/table-client.ts';
import { RateLeases } from '../../lambdas/shared/rate-leases.ts';
import type { RateLimit } from '../../lambdas/shared/rate-limits.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** One function instance: its own document client (requests counted) and its own leases. */
interface Instance {
  readonly leases: RateLeases;
  /** DynamoDB requests sent (each write, refused or not, costs a write unit). */
  requests: number;
  readonly doc: DynamoDBDocumentClient;
}

const instances: Instance[] = [];

function instance(): Instance {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const repository = new RateLimitRepository(new TableClient(doc, stack.tableName));
  const made: Instance = { leases: new RateLeases(repository), requests: 0, doc };
  doc.middlewareStack.add(
    (next) => async (args) => {
      made.requests++;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  instances.push(made);
  return made;
}

afterAll(() => {
  for (const i of instances) i.doc.destroy();
});

const LIMIT: RateLimit = { max: 300, windowSeconds: 60, lease: 10 };
const WINDOW_MS = LIMIT.windowSeconds * 1000;
let t0 = 0;
beforeAll(() => {
  t0 = Date.now();
});

async function takeMany(holder: Instance, userId: string, n: number, nowMs: number, limit = LIMIT) {
  return Promise.all(
    Array.from({ length: n }, () => holder.leases.take(userId, 'sendMessage', limit, nowMs)),
  );
}

const allowed = (decisions: { allowed: boolean }[]) => decisions.filter((d) => d.allowed).length;

async function windowItem(userId: string) {
  const key = keys.rateLimit(userId, 'sendMessage');
  const items = await stack.items(key.pk);
  return items.find((i) => i.sk === key.sk) as { windowStart: number; count: number } | undefined;
}

describe('rate-limit leases', () => {
  it('two instances × 200 concurrent frames under a limit of 300: at most 300 allowed', async () => {
    const user = uniqueId('flood');
    const [a, b] = [instance(), instance()];
    const [fromA, fromB] = await Promise.all([takeMany(a, user, 200, t0), takeMany(b, user, 200, t0)]);
    const total = allowed(fromA) + allowed(fromB);
    expect(total).toBeLessThanOrEqual(LIMIT.max);
    // Only what an instance leased and did not spend is lost: less than one lease per instance.
    expect(total).toBeGreaterThan(LIMIT.max - 2 * LIMIT.lease);
    // The window counts every leased frame: never above the limit.
    expect((await windowItem(user))?.count).toBeLessThanOrEqual(LIMIT.max);
    for (const refused of [...fromA, ...fromB].filter((d) => !d.allowed)) {
      expect(refused).toEqual({ allowed: false, retryAfterMs: expect.any(Number) });
      if (refused.allowed) continue;
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
    }
    // Far fewer writes than frames: about one per lease of up to 10.
    expect(a.requests + b.requests).toBeLessThan(100);
  });

  it('one instance reaches exactly the limit, with about one write per 10 frames', async () => {
    const user = uniqueId('steady');
    const one = instance();
    const decisions = await takeMany(one, user, 320, t0);
    expect(allowed(decisions)).toBe(LIMIT.max);
    expect(await windowItem(user)).toMatchObject({ count: LIMIT.max, windowStart: t0 });
    // 26 leases of 10, then smaller ones near the limit (ceil(remaining / 4)), and one refused write.
    expect(one.requests).toBeGreaterThanOrEqual(LIMIT.max / LIMIT.lease);
    expect(one.requests).toBeLessThanOrEqual(45);
    // Once the window is known to be exhausted, frames are refused from memory: nothing written.
    const before = one.requests;
    const later = await takeMany(one, user, 5, t0 + 1_000);
    expect(later).toEqual(Array(5).fill({ allowed: false, retryAfterMs: WINDOW_MS - 1_000 }));
    expect(one.requests).toBe(before);
  });

  it('sequential frames cost one write per lease: 13 writes for 100 frames (leases of 1, 2, 4, 8, then 10)', async () => {
    const user = uniqueId('typist');
    const one = instance();
    for (let i = 0; i < 100; i++) {
      expect(await one.leases.take(user, 'sendMessage', LIMIT, t0 + i)).toEqual({ allowed: true });
    }
    expect(one.requests).toBe(13);
    // 15 frames in the first four leases, then nine of 10: 5 frames leased and not (yet) used.
    expect((await windowItem(user))?.count).toBe(105);
  });

  it('a lease expires with its window: its frames do not carry into the next', async () => {
    const user = uniqueId('turn');
    const one = instance();
    expect(await one.leases.take(user, 'sendMessage', LIMIT, t0)).toEqual({ allowed: true });
    expect(await one.leases.take(user, 'sendMessage', LIMIT, t0 + 1)).toEqual({ allowed: true });
    expect(await windowItem(user)).toEqual(expect.objectContaining({ windowStart: t0, count: 3 }));
    // 1 frame of the second lease (2) is left, but the window is over: a new window is opened (one
    // write, the holder knows the old one ended) and counts only the new lease, of 1 frame again.
    const next = t0 + WINDOW_MS;
    const before = one.requests;
    expect(await one.leases.take(user, 'sendMessage', LIMIT, next)).toEqual({ allowed: true });
    expect(one.requests - before).toBe(1);
    expect(await windowItem(user)).toEqual(expect.objectContaining({ windowStart: next, count: 1 }));
  });

  it('another instance that opened the window first: the late opener extends it instead', async () => {
    const user = uniqueId('race');
    const [a, b] = [instance(), instance()];
    const small: RateLimit = { max: 12, windowSeconds: 60, lease: 10 };
    // Both leased in the first window: 1 frame each (an instance's first lease of a window).
    await takeMany(a, user, 1, t0, small);
    await takeMany(b, user, 1, t0, small);
    expect((await windowItem(user))?.count).toBe(2);
    // The window turns; A opens the next, B (whose lease is of the old window) tries to open, is
    // refused, and extends A's window.
    const next = t0 + WINDOW_MS + 5;
    expect(allowed(await takeMany(a, user, 1, next, small))).toBe(1);
    expect(allowed(await takeMany(b, user, 1, next + 1, small))).toBe(1);
    expect(await windowItem(user)).toMatchObject({ windowStart: next, count: 2 });
  });

  it('refused at the limit with retryAfterMs, as without leases', async () => {
    const user = uniqueId('tight');
    const [a, b] = [instance(), instance()];
    const tiny: RateLimit = { max: 2, windowSeconds: 60, lease: 1 };
    expect(await a.leases.take(user, 'sendMessage', tiny, t0)).toEqual({ allowed: true });
    expect(await b.leases.take(user, 'sendMessage', tiny, t0 + 10)).toEqual({ allowed: true });
    expect(await a.leases.take(user, 'sendMessage', tiny, t0 + 20_000)).toEqual({
      allowed: false,
      retryAfterMs: WINDOW_MS - 20_000,
    });
    expect(await windowItem(user)).toMatchObject({ windowStart: t0, count: 2 });
  });

  it('a lease asked on a stale belief is cut to what is left, never beyond the limit', async () => {
    const user = uniqueId('stale');
    const repository = new RateLimitRepository(new TableClient(instance().doc, stack.tableName));
    const ask = (remaining: number | undefined, size: (left: number) => number) =>
      repository.lease(user, 'sendMessage', { max: 10, windowMs: WINDOW_MS, nowMs: t0, remaining, size });
    expect(await ask(10, () => 8)).toEqual({ kind: 'leased', granted: 8, windowStart: t0, count: 8 });
    // Believing all 10 are left, it asks for 10: refused, told 2 are left, and leases those.
    expect(await ask(10, (left) => left)).toEqual({ kind: 'leased', granted: 2, windowStart: t0, count: 10 });
    expect(await ask(10, (left) => left)).toEqual({
      kind: 'limited',
      retryAfterMs: WINDOW_MS,
      windowStart: t0,
    });
    // Believing the window is over, it tries to open a new one: refused, and limited the same way.
    expect(await ask(undefined, () => 1)).toMatchObject({ kind: 'limited', windowStart: t0 });
    expect(await windowItem(user)).toMatchObject({ windowStart: t0, count: 10 });
  });

  it('instances holding leases while another exhausts the window: the sum stays within the limit', async () => {
    const user = uniqueId('spread');
    const small: RateLimit = { max: 40, windowSeconds: 60, lease: 10 };
    const [a, b, c] = [instance(), instance(), instance()];
    // A and B each take 2 frames (leases of 1 and 2): each holds 1 frame; 6 of 40 are counted.
    await takeMany(a, user, 2, t0, small);
    await takeMany(b, user, 2, t0, small);
    // C spends what is left; then A and B spend their leases and ask again on their old beliefs.
    const fromC = await takeMany(c, user, 40, t0, small);
    const fromAB = [
      ...(await takeMany(a, user, 20, t0 + 1, small)),
      ...(await takeMany(b, user, 20, t0 + 1, small)),
    ];
    expect(allowed(fromC)).toBe(34);
    expect(allowed(fromAB)).toBe(2);
    expect(await windowItem(user)).toMatchObject({ count: 40 });
  });

  it('a lease write whose answer was lost and which the client sent again counts once', async () => {
    // The SDK's own retry (3 attempts by default) of a write that landed: its first answer is "lost".
    const { doc } = instance();
    let lose = 0;
    let sent = 0;
    doc.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        sent++;
        if (lose > 0) {
          lose--;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
        }
        return out;
      },
      { step: 'deserialize', name: 'loseAnswer' },
    );
    const repository = new RateLimitRepository(new TableClient(doc, stack.tableName));
    const ask = (user: string, remaining: number | undefined, nowMs: number) =>
      repository.lease(user, 'sendMessage', {
        max: 10,
        windowMs: WINDOW_MS,
        nowMs,
        remaining,
        size: () => 3,
      });

    // Extending (here: creating) the window.
    const extended = uniqueId('lost');
    lose = 1;
    expect(await ask(extended, 10, t0)).toEqual({ kind: 'leased', granted: 3, windowStart: t0, count: 3 });
    expect(sent).toBe(2); // the write, then the same write again
    expect(await windowItem(extended)).toMatchObject({ windowStart: t0, count: 3 });
    // Opening a window (the last one is over).
    const opened = uniqueId('lost');
    await ask(opened, 10, t0);
    lose = 1;
    sent = 0;
    const next = t0 + WINDOW_MS;
    expect(await ask(opened, undefined, next)).toEqual({
      kind: 'leased',
      granted: 3,
      windowStart: next,
      count: 3,
    });
    expect(sent).toBe(2);
    expect(await windowItem(opened)).toMatchObject({ windowStart: next, count: 3 });
  });

  it('a window spent on purpose (a flood close holds the handshakes) refuses every lease until it ends', async () => {
    const user = uniqueId('held');
    const one = instance();
    const repository = new RateLimitRepository(new TableClient(one.doc, stack.tableName));
    const tiny: RateLimit = { max: 6, windowSeconds: 60, lease: 1 };
    expect(await one.leases.take(user, 'sendMessage', tiny, t0)).toEqual({ allowed: true });
    await repository.exhaust(user, 'sendMessage', { max: tiny.max, windowMs: WINDOW_MS, nowMs: t0 + 1_000 });
    expect(await windowItem(user)).toMatchObject({ windowStart: t0 + 1_000, count: tiny.max });
    // Another instance, and this one (whose memory still saw room): refused for the whole window.
    expect(await instance().leases.take(user, 'sendMessage', tiny, t0 + 2_000)).toEqual({
      allowed: false,
      retryAfterMs: WINDOW_MS - 1_000,
    });
    expect(await one.leases.take(user, 'sendMessage', tiny, t0 + 2_000)).toEqual({
      allowed: false,
      retryAfterMs: WINDOW_MS - 1_000,
    });
    // Then a window opens as usual.
    expect(await one.leases.take(user, 'sendMessage', tiny, t0 + 1_000 + WINDOW_MS)).toEqual({
      allowed: true,
    });
  });
});
