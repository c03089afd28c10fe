/** Delivering one notification: retries with backoff, give-ups, token removal, never throwing. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceRecord, Platform } from '../../../lambdas/data/store.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import { DELIVERY_POLICY, type DeliveryDeps, deliver } from '../../../lambdas/push/deliver.ts';
import type { PushProvider, SendOutcome } from '../../../lambdas/push/provider.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { CONTENT } from './fixtures.ts';

const device: DeviceRecord = {
  userId: 'bob',
  deviceId: 'd_1',
  platform: 'apns',
  token: 'tok',
  appId: null,
  createdAt: '2026-03-01T12:00:00.000Z',
  expiresAt: Date.parse('2026-03-01T12:00:00.000Z') / 1000 + 60 * 86_400,
};
const content = CONTENT;

function setup(outcomes: (SendOutcome | Error)[], platform: Platform = 'apns') {
  const send = vi.fn(async () => {
    const next = outcomes.shift();
    if (!next) throw new Error('no more outcomes');
    if (next instanceof Error) throw next;
    return next;
  });
  const provider: PushProvider = { platform, send, close: () => {} };
  const sleeps: number[] = [];
  const removeDevice = vi.fn(async () => 'removed');
  const counters = new Counters('test');
  const deps: DeliveryDeps = {
    providers: new Map([[platform, provider]]),
    removeDevice,
    counters,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { deps, send, sleeps, removeDevice, counters };
}

const ok: SendOutcome = { kind: 'sent', status: 200 };
const busy: SendOutcome = { kind: 'retry', status: 503, reason: 'ServiceUnavailable' };

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(logger, 'error').mockImplementation(() => {});
  vi.spyOn(logger, 'info').mockImplementation(() => {});
});

describe('deliver', () => {
  it('sends once when the provider takes it', async () => {
    const t = setup([ok]);
    expect(await deliver(device, content, t.deps)).toBe('sent');
    expect(t.send).toHaveBeenCalledWith('tok', content);
    expect(t.counters.get('PushSent')).toBe(1);
    expect(t.sleeps).toEqual([]);
  });

  it('retries throttling, server errors and network failures with backoff', async () => {
    const t = setup([
      busy,
      new Error('ECONNRESET'),
      { kind: 'retry', status: 429, reason: 'TooManyRequests' },
      ok,
    ]);
    expect(await deliver(device, content, t.deps)).toBe('sent');
    expect(t.send).toHaveBeenCalledTimes(4);
    expect(t.sleeps).toHaveLength(3);
    t.sleeps.forEach((ms, i) => {
      expect(ms).toBeLessThanOrEqual(
        Math.min(DELIVERY_POLICY.backoff.capMs, DELIVERY_POLICY.backoff.baseMs * 2 ** (i + 1)),
      );
    });
    expect(t.counters.get('PushRetried')).toBe(3);
  });

  it('asks before each retry whether the device is still its user’s: a token registered by someone else since is not retried', async () => {
    const t = setup([busy, busy, ok]);
    const stillRegistered = vi.fn(async () => true);
    expect(await deliver(device, content, { ...t.deps, stillRegistered })).toBe('sent');
    expect(stillRegistered).toHaveBeenCalledTimes(2);

    const moved = setup([busy, ok]);
    const gone = vi.fn(async () => false);
    expect(await deliver(device, content, { ...moved.deps, stillRegistered: gone })).toBe('moved');
    expect(moved.send).toHaveBeenCalledTimes(1);
    expect(moved.counters.get('PushRetrySkipped')).toBe(1);

    // A failed look-up does not stop the retry (as before the look-up existed).
    const unknown = setup([busy, ok]);
    const failing = vi.fn(async () => Promise.reject(new Error('throttled')));
    expect(await deliver(device, content, { ...unknown.deps, stillRegistered: failing })).toBe('sent');
  });

  it('waits at least what Retry-After asks for', async () => {
    const t = setup([{ ...busy, status: 429, retryAfterMs: 3000 }, ok]);
    expect(await deliver(device, content, t.deps)).toBe('sent');
    expect(t.sleeps[0]).toBeGreaterThanOrEqual(3000);
  });

  it('gives up after the last attempt, and at once when Retry-After is too long; counted and logged', async () => {
    const t = setup(Array.from({ length: 10 }, () => busy));
    expect(await deliver(device, content, t.deps)).toBe('given-up');
    expect(t.send).toHaveBeenCalledTimes(DELIVERY_POLICY.attempts);
    expect(t.counters.get('PushGivenUp')).toBe(1);
    expect(logger.error).toHaveBeenCalledWith(
      'push given up',
      expect.objectContaining({ attempts: 4, status: 503 }),
    );
    const long = setup([{ ...busy, status: 429, retryAfterMs: 60_000 }]);
    expect(await deliver(device, content, long.deps)).toBe('given-up');
    expect(long.send).toHaveBeenCalledTimes(1);
  });

  it('removes the device when the token is no longer registered, and does not retry', async () => {
    const t = setup([{ kind: 'unregistered', status: 410, reason: 'Unregistered' }]);
    expect(await deliver(device, content, t.deps)).toBe('removed');
    expect(t.removeDevice).toHaveBeenCalledWith(device);
    expect(t.counters.get('PushTokenRemoved')).toBe(1);
  });

  it('never throws: a failed removal is counted and logged', async () => {
    const t = setup([{ kind: 'unregistered', status: 410, reason: 'Unregistered' }]);
    t.removeDevice.mockRejectedValueOnce(new Error('DynamoDB is down'));
    expect(await deliver(device, content, t.deps)).toBe('removed');
    expect(t.counters.get('PushRemoveFailed')).toBe(1);
  });

  it('counts a removal that stayed contended (busy: nothing removed) as failed', async () => {
    const t = setup([{ kind: 'unregistered', status: 410, reason: 'Unregistered' }]);
    t.removeDevice.mockResolvedValueOnce('busy');
    expect(await deliver(device, content, t.deps)).toBe('removed');
    expect(t.counters.get('PushRemoveFailed')).toBe(1);
  });

  it('does not retry a refusal retrying cannot fix', async () => {
    const t = setup([{ kind: 'failed', status: 400, reason: 'BadTopic' }]);
    expect(await deliver(device, content, t.deps)).toBe('failed');
    expect(t.send).toHaveBeenCalledTimes(1);
    expect(t.counters.get('PushFailed')).toBe(1);
  });

  it('skips a device whose platform has no provider configured', async () => {
    const t = setup([], 'fcm');
    expect(await deliver(device, content, t.deps)).toBe('no-provider');
    expect(t.counters.get('PushNoProvider')).toBe(1);
  });
});
