/**
 * The send budget (lambdas/push/budget.ts): an attempt, or the wait before one, is started only when
 * it ends before the invocation's deadline less the reserve for queueing the rest; what cannot be
 * tried in time is deferred (handed back), never given up, and what was sent is not handed back.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import {
  ATTEMPT_MS,
  FINISH_RESERVE_MS,
  leavesTime,
  pushBudget,
  type SendBudget,
} from '../../../lambdas/push/budget.ts';
import {
  type DeliveryDeps,
  deliver,
  deliverAll,
  type PlannedPush,
  type PushDevice,
} from '../../../lambdas/push/deliver.ts';
import { PUSH_REQUEST_TIMEOUT_MS, type SendOutcome } from '../../../lambdas/push/provider.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { CONTENT } from './fixtures.ts';

const content = CONTENT;
const deviceOf = (userId: string): PushDevice => ({
  userId,
  deviceId: `d_${userId}`,
  platform: 'apns',
  token: `${userId}-tok`,
});
const busy: SendOutcome = { kind: 'retry', status: 503, reason: 'ServiceUnavailable' };
const throttled = (seconds: number): SendOutcome => ({
  kind: 'retry',
  status: 429,
  reason: 'TooManyRequests',
  retryAfterMs: seconds * 1000,
});

/** A clock that moves only when the provider answers (`takesMs`) or the delivery sleeps. */
function setup(answer: (token: string) => SendOutcome, takesMs = 1_000) {
  let clock = 0;
  const sent: string[] = [];
  const counters = new Counters('test');
  const deps: DeliveryDeps = {
    providers: new Map([
      [
        'apns',
        {
          platform: 'apns',
          send: async (token) => {
            clock += takesMs;
            const outcome = answer(token);
            if (outcome.kind === 'sent') sent.push(token);
            return outcome;
          },
          close: () => undefined,
        },
      ],
    ]),
    removeDevice: async () => undefined,
    counters,
    sleep: async (ms) => {
      clock += ms;
    },
  };
  /** A budget as an invocation with `remainingMs` left would have it. */
  const budget = (remainingMs: number): SendBudget =>
    pushBudget({ getRemainingTimeInMillis: () => remainingMs }, () => clock) as SendBudget;
  return { deps, sent, counters, budget, now: () => clock };
}

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  vi.spyOn(logger, 'error').mockImplementation(() => {});
});

describe('pushBudget / leavesTime', () => {
  it('keeps the finishing reserve, and fits an attempt of the providers’ request timeout', () => {
    expect(ATTEMPT_MS).toBeGreaterThan(PUSH_REQUEST_TIMEOUT_MS);
    const budget = pushBudget({ getRemainingTimeInMillis: () => 60_000 }, () => 1_000) as SendBudget;
    expect(budget.until).toBe(1_000 + 60_000 - FINISH_RESERVE_MS);
    expect(leavesTime(budget, budget.until - 1_000 - ATTEMPT_MS)).toBe(true);
    expect(leavesTime(budget, budget.until - 1_000 - ATTEMPT_MS + 1)).toBe(false);
    // No context (a test, a runtime without one): no budget, every attempt is made.
    expect(pushBudget(undefined)).toBeUndefined();
    expect(leavesTime(undefined, 1e12)).toBe(true);
  });
});

describe('deliver within a budget', () => {
  it('does not start an attempt that could not end in time: deferred, not given up', async () => {
    const t = setup(() => ({ kind: 'sent', status: 200 }));
    const short = t.budget(FINISH_RESERVE_MS + ATTEMPT_MS - 1);
    expect(await deliver(deviceOf('bob'), content, t.deps, short)).toBe('deferred');
    expect(t.sent).toEqual([]);
    expect(t.counters.get('PushDeferred')).toBe(1);
    expect(t.counters.get('PushGivenUp')).toBe(0);
    expect(await deliver(deviceOf('bob'), content, t.deps, t.budget(FINISH_RESERVE_MS + ATTEMPT_MS))).toBe(
      'sent',
    );
  });

  it('does not wait for a retry whose attempt would end too late, and never runs past the budget', async () => {
    // Answers take 1 s, Retry-After 9 s: attempts at 0 and 10 s; a third, at 20 s, could end too late.
    const t = setup(() => throttled(9));
    const budget = t.budget(FINISH_RESERVE_MS + 19_000 + ATTEMPT_MS);
    expect(await deliver(deviceOf('bob'), content, t.deps, budget)).toBe('deferred');
    expect(t.counters.get('PushRetried')).toBe(1);
    expect(t.now()).toBe(1_000 + 9_000 + 1_000);
    expect(t.now()).toBeLessThanOrEqual(budget.until);
    // Without a budget the same refusals use all four attempts, then give up.
    const unbounded = setup(() => throttled(9));
    expect(await deliver(deviceOf('bob'), content, unbounded.deps)).toBe('given-up');
    expect(unbounded.counters.get('PushRetried')).toBe(3);
  });

  it('still gives up after the last attempt, even with time left', async () => {
    const t = setup(() => busy);
    expect(await deliver(deviceOf('bob'), content, t.deps, t.budget(3_600_000))).toBe('given-up');
    expect(t.counters.get('PushDeferred')).toBe(0);
  });
});

describe('deliverAll within a budget', () => {
  it('hands back exactly the notifications it did not send', async () => {
    // Each answer takes 5 s; 20 notifications at 16 at once: the first round fits 40 s, the second not.
    const t = setup(() => ({ kind: 'sent', status: 200 }), 5_000);
    const planned: PlannedPush[] = Array.from({ length: 20 }, (_, i) => ({
      device: deviceOf(`u${i}`),
      content: { ...content, badge: i },
    }));
    const { deferred: left } = await deliverAll(
      planned,
      t.deps,
      t.budget(FINISH_RESERVE_MS + ATTEMPT_MS + 4_000),
    );
    expect(t.sent.length).toBeGreaterThan(0);
    expect(left.length).toBeGreaterThan(0);
    expect([...t.sent, ...left.map((p) => p.device.token)].sort()).toEqual(
      planned.map((p) => p.device.token).sort(),
    );
    expect(left.every((p) => p.content.badge === Number(p.device.userId.slice(1)))).toBe(true);
    expect(t.counters.get('PushDeferred')).toBe(left.length);
    // One deferred before keeps counting: deferred again before an attempt, it has had no more.
    const { deferred: again } = await deliverAll(
      [{ ...planned[0], tried: 2 } as PlannedPush],
      t.deps,
      t.budget(0),
    );
    expect(again.map((d) => [d.tried, d.afterMs])).toEqual([[2, 0]]);
    // Without a budget nothing is handed back.
    const all = setup(() => ({ kind: 'sent', status: 200 }), 5_000);
    expect((await deliverAll(planned, all.deps)).deferred).toEqual([]);
    expect(all.sent).toHaveLength(20);
  });
});
