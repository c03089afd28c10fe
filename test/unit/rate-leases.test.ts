/**
 * The lease holder's own rules over a scripted source (the shared window's conditions are tested
 * against DynamoDB Local in test/security/rate-leases.test.ts): lease sizes, one request in flight
 * per user and action, refusals from memory, errors, and bounded memory.
 */
import { describe, expect, it } from 'vitest';
import type { Charged, ChargeRequest } from '../../lambdas/data/rate-charges.ts';
import type { LeaseRequest, LeaseResult } from '../../lambdas/data/rate-limits.ts';
import { FLOOD_GRACE_MS, RefusalCounter } from '../../lambdas/shared/flood-guard.ts';
import { leaseSize, RateLeases } from '../../lambdas/shared/rate-leases.ts';
import {
  MIN_WINDOW_SECONDS,
  RATE_LIMITS,
  type RateLimit,
  rateLimitOf,
} from '../../lambdas/shared/rate-limits.ts';

const LIMIT: RateLimit = { max: 100, windowSeconds: 60, lease: 10 };
const WINDOW_MS = 60_000;

/** A single shared window in memory, with the repository's rules; records every request. */
function windowSource() {
  const state = { start: -Infinity, count: 0 };
  const asked: { userId: string; req: LeaseRequest }[] = [];
  let fail: Error | undefined;
  const source = {
    asked,
    state,
    failNext(error: Error) {
      fail = error;
    },
    async lease(userId: string, _action: string, req: LeaseRequest): Promise<LeaseResult> {
      asked.push({ userId, req });
      await Promise.resolve();
      if (fail) {
        const error = fail;
        fail = undefined;
        throw error;
      }
      if (state.start <= req.nowMs - req.windowMs) Object.assign(state, { start: req.nowMs, count: 0 });
      const left = req.max - state.count;
      if (left <= 0)
        return {
          kind: 'limited',
          retryAfterMs: state.start + req.windowMs - req.nowMs,
          windowStart: state.start,
        };
      const k = Math.min(left, req.size(left));
      state.count += k;
      return { kind: 'leased', granted: k, windowStart: state.start, count: state.count };
    },
    charged: [] as number[],
    async charge(_userId: string, _action: string, req: ChargeRequest): Promise<Charged> {
      source.charged.push(req.frames);
      if (state.start <= req.nowMs - req.windowMs) Object.assign(state, { start: req.nowMs, count: 0 });
      state.count += req.frames;
      if (state.count > req.max) {
        state.start += Math.ceil(((state.count - req.max) * req.windowMs) / req.max);
        state.count = req.max;
      }
      return { windowStart: state.start, count: state.count };
    },
  };
  return source;
}

describe('lease sizes', () => {
  it('a quarter of what is left, at most K, at least 1', () => {
    expect([300, 40, 39, 12, 4, 1].map((left) => leaseSize(LIMIT, left))).toEqual([10, 10, 10, 3, 1, 1]);
    expect(leaseSize({ lease: 1 }, 300)).toBe(1);
  });

  it('K is declared with each limit; RATE_LIMIT_FACTOR scales max, keeps K, and 0 turns limits off', () => {
    expect(RATE_LIMITS.sendMessage).toEqual({
      max: 300,
      windowSeconds: 60,
      lease: 10,
      membersPerFrame: 200,
      storesText: true,
    });
    expect(RATE_LIMITS.typing?.lease).toBe(10);
    expect(RATE_LIMITS.createChat?.lease).toBe(1);
    expect(rateLimitOf('typing', { RATE_LIMIT_FACTOR: '1000' })).toEqual({
      max: 60_000,
      windowSeconds: 60,
      lease: 10,
    });
    expect(rateLimitOf('typing', { RATE_LIMIT_FACTOR: '0' })).toBeUndefined();
  });

  it('RATE_LIMIT_WINDOW_SECONDS shortens every window, never lengthens one, and ignores what is not a positive integer', () => {
    // The daily text budget is the day's whatever the window (TEXT_MB_PER_DAY, 100 MB by default);
    // the factor scales it with the limits (the benchmark's 1000: 100 GB).
    expect(rateLimitOf('sendMessage', { RATE_LIMIT_WINDOW_SECONDS: '15' })).toEqual({
      max: 300,
      windowSeconds: 15,
      lease: 10,
      membersPerFrame: 200,
      bytesPerDay: 100 * 1024 * 1024,
    });
    expect(
      rateLimitOf('sendMessage', {
        RATE_LIMIT_WINDOW_SECONDS: '15',
        RATE_LIMIT_FACTOR: '0.5',
        TEXT_MB_PER_DAY: '3',
      }),
    ).toEqual({
      max: 150,
      windowSeconds: 15,
      lease: 10,
      membersPerFrame: 200,
      bytesPerDay: 1.5 * 1024 * 1024,
    });
    for (const raw of ['600', '0', '-5', '1.5', 'soon', '']) {
      expect(rateLimitOf('$connect', { RATE_LIMIT_WINDOW_SECONDS: raw })?.windowSeconds, raw).toBe(60);
    }
  });

  it('RATE_LIMIT_WINDOW_SECONDS below 5 s is ignored: the flood guard still closes a socket ignoring every refusal', () => {
    // A refusal asks for a wait of at most one window; the flood guard counts only frames more than
    // FLOOD_GRACE_MS (3 s) after the first refusal and within that wait: a window of 1-3 s would
    // leave nothing to count. A client sending 50 frames a second, refused each time with the
    // wait left of its window, is closed as soon under any window the knob accepts.
    const closedAt = (raw: string): number | undefined => {
      const limit = rateLimitOf('typing', { RATE_LIMIT_WINDOW_SECONDS: raw });
      const windowMs = (limit?.windowSeconds ?? 0) * 1000;
      const counter = new RefusalCounter();
      for (let t = 0; t < 60_000; t += 20) {
        if (counter.refuse('c1', { action: 'typing', retryAfterMs: windowMs - (t % windowMs) }, t)) return t;
      }
      return undefined;
    };
    for (const raw of ['1', '2', '3', '4']) {
      expect(rateLimitOf('typing', { RATE_LIMIT_WINDOW_SECONDS: raw })?.windowSeconds, raw).toBe(60);
    }
    expect(rateLimitOf('typing', { RATE_LIMIT_WINDOW_SECONDS: '5' })?.windowSeconds).toBe(5);
    // As soon as under the minute's windows (3.6 s); a window of 1-3 s counted no refusal ignored,
    // and only the ceiling of graced frames closed the socket, after 40 s.
    const closed = closedAt('');
    expect(closed).toBeLessThan(5_000);
    for (const raw of ['1', '2', '3', '5', '15']) expect(closedAt(raw), raw).toBe(closed);
    expect(MIN_WINDOW_SECONDS * 1000).toBeGreaterThan(FLOOD_GRACE_MS);
  });
});

describe('RateLeases', () => {
  it('concurrent frames of one user share one request in flight; leases double from 1 up to K', async () => {
    const source = windowSource();
    const leases = new RateLeases(source);
    const decisions = await Promise.all(Array.from({ length: 10 }, () => leases.take('u', 'a', LIMIT, 0)));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    // One request at a time: 1, then 2, 4 and 8 frames (15 ≥ 10), never two in flight.
    expect(source.asked.map((a) => a.req.size(100))).toEqual([1, 2, 4, 8]);
    expect(source.asked[0]?.req).toMatchObject({ max: 100, windowMs: WINDOW_MS, remaining: 100 });
    // Then K at most, within the window; a new window starts again from 1.
    for (let i = 0; i < 20; i++) await leases.take('u', 'a', LIMIT, 1);
    expect(source.asked.at(-1)?.req.size(100)).toBe(10);
    await leases.take('u', 'a', LIMIT, WINDOW_MS);
    expect(source.asked.at(-1)?.req.size(100)).toBe(1);
  });

  it('an instance that sees one frame of a user leases one: a burst spread over instances wastes nothing', async () => {
    const source = windowSource();
    // 100 instances, one frame each (on AWS an outbox flush reaches one instance per request).
    const instances = Array.from({ length: 100 }, () => new RateLeases(source));
    const decisions = await Promise.all(instances.map((leases) => leases.take('u', 'a', LIMIT, 0)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    expect(source.state.count).toBe(100);
  });

  it('spends the whole limit, then refuses from memory until the window ends, then opens the next', async () => {
    const source = windowSource();
    const leases = new RateLeases(source);
    let allowed = 0;
    for (let i = 0; i < 110; i++) if ((await leases.take('u', 'a', LIMIT, i)).allowed) allowed++;
    expect(allowed).toBe(100);
    const requests = source.asked.length;
    expect(await leases.take('u', 'a', LIMIT, 30_000)).toEqual({ allowed: false, retryAfterMs: 30_000 });
    expect(source.asked).toHaveLength(requests);
    // The next window: the holder knows the old one is over and asks to open (no belief of room).
    expect(await leases.take('u', 'a', LIMIT, WINDOW_MS)).toEqual({ allowed: true });
    expect(source.asked.at(-1)?.req.remaining).toBeUndefined();
  });

  it('takeNow decides from memory alone (a leased frame, a spent window), else leaves it to take', async () => {
    const source = windowSource();
    const leases = new RateLeases(source);
    expect(leases.takeNow('u', 'a', LIMIT, 0)).toBeUndefined(); // nothing leased yet
    expect(source.asked).toHaveLength(0);
    await leases.take('u', 'a', LIMIT, 0); // a lease of 1, spent
    await leases.take('u', 'a', LIMIT, 1); // a lease of 2: one frame left
    const requests = source.asked.length;
    expect(leases.takeNow('u', 'a', LIMIT, 2)).toEqual({ allowed: true });
    expect(leases.takeNow('u', 'a', LIMIT, 3)).toBeUndefined(); // room in the window, none leased
    for (let i = 0; i < 100; i++) await leases.take('u', 'a', LIMIT, 4);
    expect(leases.takeNow('u', 'a', LIMIT, 30_000)).toEqual({ allowed: false, retryAfterMs: 30_000 });
    expect(leases.takeNow('u', 'a', LIMIT, WINDOW_MS)).toBeUndefined(); // the window is over
    expect(source.asked.length).toBeGreaterThan(requests);
  });

  it('a failed request fails the frames waiting on it; the next frame asks again', async () => {
    const source = windowSource();
    const leases = new RateLeases(source);
    source.failNext(new Error('DynamoDB is down'));
    const results = await Promise.allSettled([1, 2, 3].map(() => leases.take('u', 'a', LIMIT, 0)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await leases.take('u', 'a', LIMIT, 1)).toEqual({ allowed: true });
    // Nothing was known of the window: it asks as for a fresh one.
    expect(source.asked.at(-1)?.req.remaining).toBe(100);
  });

  it('a refusal without a window (lost races) refuses that frame only', async () => {
    let calls = 0;
    const leases = new RateLeases({
      charge: async () => ({ windowStart: 0, count: 0 }),
      lease: async (): Promise<LeaseResult> =>
        ++calls === 1
          ? { kind: 'limited', retryAfterMs: WINDOW_MS }
          : { kind: 'leased', granted: 1, windowStart: 0, count: 1 },
    });
    expect(await leases.take('u', 'a', LIMIT, 0)).toEqual({ allowed: false, retryAfterMs: WINDOW_MS });
    expect(await leases.take('u', 'a', LIMIT, 0)).toEqual({ allowed: true });
  });

  it('charge: an expensive frame counts as more, from the lease first, then the window; overdrawn, the window is pushed later', async () => {
    const source = windowSource();
    const leases = new RateLeases(source);
    for (let i = 0; i < 4; i++) await leases.take('u', 'a', LIMIT, 0); // leases of 1, 2, 4: 3 frames left
    await leases.charge('u', 'a', LIMIT, 2, 1); // from the lease: no request
    expect(source.charged).toEqual([]);
    await leases.charge('u', 'a', LIMIT, 50, 2); // 1 from the lease, 49 charged
    expect(source.charged).toEqual([49]);
    expect(source.state.count).toBe(56);
    // 100 more: 56 over the limit of 100 a window, so the window is pushed by 56% of one.
    await leases.charge('u', 'a', LIMIT, 100, 3);
    expect(source.state).toEqual({ start: 33_600, count: 100 });
    // This instance refuses from memory until the pushed window ends.
    const requests = source.asked.length;
    expect(await leases.take('u', 'a', LIMIT, WINDOW_MS)).toEqual({
      allowed: false,
      retryAfterMs: 33_600,
    });
    expect(await leases.take('u', 'a', LIMIT, 33_600 + WINDOW_MS - 1)).toEqual({
      allowed: false,
      retryAfterMs: 1,
    });
    expect(source.asked).toHaveLength(requests);
    expect(await leases.take('u', 'a', LIMIT, 33_600 + WINDOW_MS)).toEqual({ allowed: true });
  });

  it('memory is bounded: past windows go first, then the least recently used', async () => {
    const source = windowSource();
    const leases = new RateLeases(source, 3);
    const now = Date.now();
    // An old window (long over), then two current ones.
    await leases.take('old', 'a', LIMIT, now - 10 * WINDOW_MS);
    await leases.take('u1', 'a', LIMIT, now);
    await leases.take('u2', 'a', LIMIT, now);
    await leases.take('u3', 'a', LIMIT, now);
    expect(leases.size).toBe(3);
    // u1 is used again, so u2 is the least recently used when u4 arrives.
    await leases.take('u1', 'a', LIMIT, now);
    await leases.take('u4', 'a', LIMIT, now);
    expect(leases.size).toBe(3);
    // A pair still held asks with what it knows of its window; an evicted one asks as if new.
    await leases.take('u3', 'a', LIMIT, now);
    expect(source.asked.at(-1)?.req.remaining).toBeLessThan(LIMIT.max);
    await leases.take('u2', 'a', LIMIT, now);
    expect(source.asked.at(-1)?.req.remaining).toBe(LIMIT.max);
    for (let i = 0; i < 50; i++) await leases.take(`many${i}`, 'a', LIMIT, now);
    expect(leases.size).toBe(3);
  });
});
