/**
 * `reservedConcurrency` (docs/deploy.md) reaches every function of the stack, not only the API's:
 * the queue workers, the scheduled messages' sweeper and dispatcher, and push's two; the map may
 * name each; and the SQS event sources feeding them invoke no more instances than they may run.
 */
import { describe, expect, it } from 'vitest';
import type { ChatFunction } from '../../lib/chat-function.ts';
import { FANOUT_WORKER, PUSH_WORKER, RETENTION_WORKER } from '../../lib/workers.ts';
import { logicalId, type Resources, type Synthesized, synth } from './support.ts';

const push = { apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:apns-AbCdEf' };

const resourcesOf = (s: Synthesized) => s.template.toJSON().Resources as Resources;
const reservedOf = (s: Synthesized, fn: ChatFunction) =>
  resourcesOf(s)[logicalId(s.stack, fn.function)]?.Properties.ReservedConcurrentExecutions;
/** The MaximumConcurrency of the SQS event source mapping that invokes `fn` (undefined: none set). */
const sqsMaxConcurrencyOf = (s: Synthesized, fn: ChatFunction) => {
  const id = logicalId(s.stack, fn.function);
  const mappings = Object.values(resourcesOf(s)).filter(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: id }),
  );
  expect(mappings, fn.node.id).toHaveLength(1);
  return (mappings[0]?.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)
    ?.MaximumConcurrency;
};

describe('reserved concurrency of every function', { timeout: 300_000 }, () => {
  it('reaches the workers, the scheduled functions and push’s, by name or `*`', () => {
    const s = synth({
      push,
      reservedConcurrency: { '*': 5, FanOutWorker: 4, ScheduledDispatcher: 6, PushWorker: 30, Push: 7 },
    });
    const { stack } = s;
    const pushWorker = stack.streams.pushWorker?.worker;
    const pushFunction = stack.streams.functions.get('Push');
    if (!pushWorker || !pushFunction) throw new Error('push is configured');
    const expected: [ChatFunction, number][] = [
      [stack.fanOutWorker.worker, 4],
      [stack.retentionWorker.worker, 5],
      [stack.scheduled.dispatcher, 6],
      [stack.scheduled.sweeper, 5],
      [pushWorker, 30],
      [pushFunction, 7],
    ];
    for (const [fn, n] of expected) expect(reservedOf(s, fn), fn.node.id).toBe(n);
    // `*` leaves no function of the stack out.
    const functions = Object.entries(resourcesOf(s)).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    for (const [id, r] of functions)
      expect(r.Properties.ReservedConcurrentExecutions, id).toBeGreaterThanOrEqual(4);

    // SQS event sources: their own maximum, at most the reserved concurrency.
    expect(sqsMaxConcurrencyOf(s, stack.fanOutWorker.worker)).toBe(4);
    expect(sqsMaxConcurrencyOf(s, stack.retentionWorker.worker)).toBe(RETENTION_WORKER.maxConcurrency);
    expect(sqsMaxConcurrencyOf(s, pushWorker)).toBe(PUSH_WORKER.maxConcurrency);
    expect(sqsMaxConcurrencyOf(s, stack.scheduled.dispatcher)).toBe(6);
  });

  it('without it, no function reserves any and the dispatcher’s event source has no maximum', () => {
    const s = synth();
    const functions = Object.entries(resourcesOf(s)).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    for (const [id, r] of functions) expect(r.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
    expect(sqsMaxConcurrencyOf(s, s.stack.scheduled.dispatcher)).toBeUndefined();
    expect(sqsMaxConcurrencyOf(s, s.stack.fanOutWorker.worker)).toBe(FANOUT_WORKER.maxConcurrency);
  });

  it('refuses less than 2 for a function an SQS queue feeds (its event source needs 2), naming it', () => {
    expect(() => synth({ reservedConcurrency: { ScheduledDispatcher: 1 } })).toThrow(
      /reservedConcurrency of ScheduledDispatcher must be 2 or more, not 1/,
    );
    expect(() => synth({ reservedConcurrency: { '*': 1, SendMessage: 20 } })).toThrow(
      /reservedConcurrency of FanOutWorker must be 2 or more/,
    );
    expect(() => synth({ reservedConcurrency: { RetentionWorkr: 3 } })).toThrow(
      /RetentionWorkr.*RetentionWorker.*ScheduledSweeper/,
    );
  });
});
