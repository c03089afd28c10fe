/**
 * Sends one notification to one device: retries throttling (429), server errors (5xx) and network
 * failures with the shared backoff (full jitter; the provider's `Retry-After` when it gives one),
 * then gives up and counts it (`PushGivenUp`, alarmed). A token the provider reports as no longer
 * registered removes the device (`PushTokenRemoved`). Never throws: one device's trouble never
 * fails the stream record, which would send the record's other notifications again. Within a send
 * budget (budget.ts), an attempt that could not end in time is not started: the notification is
 * deferred (`PushDeferred`) and handed back to the caller, which queues it.
 *
 * Retries spend from the provider's retry quota (lambdas/shared/retry.ts `RetryQuota`, one per
 * provider and container: 14 a retry after a 5xx, a network failure or a timeout, 5 after a 429).
 * A deferred notification's next attempt (`tried` > 0) is a retry as well and pays for it. One the
 * quota refuses (`PushRetryQuotaRefused`; once every 10 s it lets one through as a probe of whether
 * the provider is back: provider-quota.ts) is not made: the notification is deferred again with the
 * attempts it had, `QUOTA_DEFER_MS` at least (jobs.ts: longer as it ages, until its job expires,
 * counted as given up), or given up (`PushGivenUp`, logged) when the caller has no queue.
 */
import type { DeviceRecord, Platform } from '../data/store.ts';
import type { Counters } from '../pipeline/metrics.ts';
import { mapSettled } from '../shared/concurrency.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backoffDelay } from '../shared/retry.ts';
import { leavesTime, type SendBudget } from './budget.ts';
import type { PushContent } from './payload.ts';
import type { PushProvider, SendOutcome } from './provider.ts';
import type { ProviderQuota, RetryPayment } from './provider-quota.ts';

export interface DeliveryPolicy {
  /** Attempts per notification (the first one included). */
  readonly attempts: number;
  readonly backoff: Backoff;
  /** A `Retry-After` longer than this is not waited for: the notification is given up. */
  readonly maxRetryAfterMs: number;
}

export const DELIVERY_POLICY: DeliveryPolicy = {
  attempts: 4,
  backoff: { baseMs: 200, capMs: 2000 },
  maxRetryAfterMs: 10_000,
};

/**
 * The least a notification deferred by an empty retry quota waits (its job's delay): the provider
 * failed often enough to empty it, and the quota fills again only as calls to it succeed.
 */
export const QUOTA_DEFER_MS = 30_000;

/** What sending to a device needs of it (a deferred notification's job carries just this). */
export type PushDevice = Pick<DeviceRecord, 'userId' | 'deviceId' | 'platform' | 'token'>;

/** One notification: the device and what it says. */
export interface PlannedPush {
  readonly device: PushDevice;
  readonly content: PushContent;
}

export interface DeliveryDeps {
  readonly providers: ReadonlyMap<Platform, PushProvider>;
  /** Removes a device whose token the provider no longer accepts (`'busy'`: contended, nothing removed). */
  readonly removeDevice: (device: PushDevice) => Promise<unknown>;
  /**
   * Whether the device is still its user's with the same token, asked before each retry: a token
   * registered by someone else meanwhile (a phone changing hands) must not get this user's message.
   * @default - not asked
   */
  readonly stillRegistered?: (device: PushDevice) => Promise<boolean>;
  readonly counters: Counters;
  /**
   * Each provider's retry quota (lambdas/shared/retry.ts), kept as long as the provider (one per
   * container).
   * @default - retries are not limited
   */
  readonly quotas?: ReadonlyMap<Platform, ProviderQuota>;
  readonly policy?: DeliveryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type DeliveryResult =
  | 'sent'
  | 'removed'
  | 'given-up'
  | 'failed'
  | 'no-provider'
  | 'deferred'
  /** Not retried: the device is gone or its token is someone else's now. */
  | 'moved';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function deliver(
  device: PushDevice,
  content: PushContent,
  deps: DeliveryDeps,
  budget?: SendBudget,
  defers = budget !== undefined,
): Promise<DeliveryResult> {
  return (await deliverOne({ device, content }, deps, budget, defers)).result;
}

/** A notification deferred for want of time or of retry quota: the attempts it had, the wait it owes. */
export interface DeferredPush extends PlannedPush {
  /** Attempts made before it was deferred (the next job goes on counting from them). */
  readonly tried: number;
  /** The wait its next attempt is due after (a provider's `Retry-After`, or the backoff). */
  readonly afterMs: number;
  /** Deferred because the provider's retry quota refused its next attempt (jobs.ts `queueDeferred`). */
  readonly refused?: boolean;
}

interface Outcome {
  readonly result: DeliveryResult;
  readonly tried: number;
  readonly afterMs: number;
  readonly refused?: boolean;
}

async function deliverOne(
  push: PlannedPush & { tried?: number },
  deps: DeliveryDeps,
  budget: SendBudget | undefined,
  defers: boolean,
) {
  const { device, content } = push;
  const tried = push.tried ?? 0;
  const done = (result: DeliveryResult): Outcome => ({ result, tried: 0, afterMs: 0 });
  const provider = deps.providers.get(device.platform);
  if (!provider) {
    deps.counters.add('PushNoProvider');
    return done('no-provider');
  }
  const policy = deps.policy ?? DELIVERY_POLICY;
  const quota = deps.quotas?.get(device.platform);
  const sleep = deps.sleep ?? pause;
  const where = { userId: device.userId, deviceId: device.deviceId, platform: device.platform };
  const defer = (attempts: number, afterMs: number, refused = false): Outcome => {
    deps.counters.add('PushDeferred');
    const why = refused ? "the provider's retry quota is spent" : 'no time left in this invocation';
    logger.warn(`push deferred: ${why} for its next attempt`, { ...where, attempts, afterMs });
    return { result: 'deferred', tried: attempts, afterMs, ...(refused ? { refused } : {}) };
  };
  /** A retry the quota refused: deferred (no attempt spent on it), or given up without a queue. */
  const refuse = (attempts: number, wait: number, failure?: { status: number; reason: string }) => {
    deps.counters.add('PushRetryQuotaRefused');
    if (defers) return defer(attempts, Math.max(wait, QUOTA_DEFER_MS), true);
    deps.counters.add('PushGivenUp');
    logger.error("push given up: the provider's retry quota is spent and there is no queue to defer it to", {
      ...where,
      attempts,
      ...failure,
    });
    return done('given-up');
  };
  if (!leavesTime(budget)) return defer(tried, 0);
  const free = { cost: 0, probe: false } as const;
  /** What the attempt being made took from the quota (free: a first attempt, or no quota). */
  let paid: NonNullable<RetryPayment> = free;
  if (tried > 0) {
    // A deferred notification's next attempt is a retry too: the quota pays for it (as a transient
    // failure's: the job does not say which kind its last one was), or it is deferred again.
    const payment = quota ? quota.pay('transient') : free;
    if (payment === undefined) return refuse(tried, 0);
    paid = payment;
  }
  for (let attempt = tried + 1; ; attempt++) {
    let outcome: SendOutcome;
    try {
      outcome = await provider.send(device.token, content);
    } catch (error) {
      // A network failure or a timeout (`TimeoutError`): a transient failure, as a 5xx.
      outcome = { kind: 'retry', status: 0, reason: (error as Error).message };
    }
    switch (outcome.kind) {
      case 'sent':
        deps.counters.add('PushSent');
        quota?.paidOff(paid);
        return done('sent');
      case 'unregistered':
        deps.counters.add('PushTokenRemoved');
        logger.info('push token no longer registered: device removed', { ...where, reason: outcome.reason });
        try {
          // Contention that outlasted the removal's attempts removed nothing: the next push retries it.
          if ((await deps.removeDevice(device)) === 'busy') {
            deps.counters.add('PushRemoveFailed');
            logger.warn('removing an unregistered device was busy', where);
          }
        } catch (error) {
          deps.counters.add('PushRemoveFailed');
          logger.error('could not remove an unregistered device', { ...where, error });
        }
        return done('removed');
      case 'failed':
        deps.counters.add('PushFailed');
        logger.error('push refused', { ...where, status: outcome.status, reason: outcome.reason });
        return done('failed');
      case 'retry': {
        const { status, reason } = outcome;
        const wait = Math.max(outcome.retryAfterMs ?? 0, backoffDelay(policy.backoff, attempt));
        if (attempt >= policy.attempts || (outcome.retryAfterMs ?? 0) > policy.maxRetryAfterMs) {
          deps.counters.add('PushGivenUp');
          logger.error('push given up', { ...where, attempts: attempt, status, reason });
          return done('given-up');
        }
        if (!leavesTime(budget, wait)) return defer(attempt, wait);
        const payment = quota ? quota.pay(status === 429 ? 'throttling' : 'transient') : free;
        if (payment === undefined) return refuse(attempt, wait, { status, reason });
        paid = payment;
        deps.counters.add('PushRetried');
        await sleep(wait);
        if (deps.stillRegistered && !(await deps.stillRegistered(device).catch(() => true))) {
          quota?.release(paid.cost); // no call made: the retry's price goes back
          deps.counters.add('PushRetrySkipped');
          logger.info('push not retried: the device is gone or its token registered again', where);
          return done('moved');
        }
      }
    }
  }
}

/** Notifications sent at once by one invocation's record or job. */
export const SEND_CONCURRENCY = 16;

/**
 * Delivers every planned notification, `SEND_CONCURRENCY` at once (never throws, as `deliver`), and
 * returns those deferred for want of time (budget.ts) or of retry quota, for the caller to
 * queue, and whether any went out (`sent`: a provider took one; a notification failed, given up,
 * removed or moved sent nothing, so trying the record or job again sends nothing twice). A
 * notification deferred before (`tried`) goes on counting its attempts. `defers`: whether the
 * caller queues what is deferred (it has a queue; by default, when it has a budget); without, a
 * retry the quota refuses gives the notification up.
 */
export async function deliverAll(
  planned: readonly (PlannedPush & { readonly tried?: number })[],
  deps: DeliveryDeps,
  budget?: SendBudget,
  defers = budget !== undefined,
): Promise<{ deferred: DeferredPush[]; sent: boolean }> {
  const deferred: DeferredPush[] = [];
  let sent = false;
  await mapSettled(planned, SEND_CONCURRENCY, async (push) => {
    const { result, tried, afterMs, refused } = await deliverOne(push, deps, budget, defers);
    if (result === 'sent') sent = true;
    if (result === 'deferred')
      deferred.push({
        device: push.device,
        content: push.content,
        tried,
        afterMs,
        ...(refused ? { refused } : {}),
      });
  });
  return { deferred, sent };
}
