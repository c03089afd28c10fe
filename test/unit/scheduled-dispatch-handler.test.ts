/**
 * The dispatcher's handler: a record whose completion stayed contended (`busy`) comes again; a
 * message it sent counts in `MessagesSent`, as one `sendMessage` stores does.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';

const outcomes = vi.hoisted(() => ({ next: 'busy' as string }));
vi.mock('../../lambdas/domain/scheduled-deps.ts', () => ({ scheduledDeps: () => ({}) }));
vi.mock('../../lambdas/domain/scheduled-dispatch.ts', () => ({
  dispatchScheduled: async () => outcomes.next,
}));

const { handler } = await import('../../lambdas/handlers/scheduledDispatch.ts');

const due = (messageId: string): SQSEvent['Records'][number] =>
  ({
    messageId,
    body: JSON.stringify({ userId: 'ann', scheduledId: 's_1', sendAt: '2026-03-01T12:00:00.000Z' }),
  }) as SQSEvent['Records'][number];

describe('scheduledDispatch', () => {
  it('reports a busy dispatch as a failed record (retried), a sent one as done', async () => {
    outcomes.next = 'busy';
    expect(await handler({ Records: [due('q1')] })).toEqual({
      batchItemFailures: [{ itemIdentifier: 'q1' }],
    });
    outcomes.next = 'sent';
    expect(await handler({ Records: [due('q2')] })).toEqual({ batchItemFailures: [] });
  });

  it('counts each message it sent in MessagesSent; failed, skipped, requeued or busy ones not', async () => {
    const emitted: MetricValues[] = [];
    const stop = onMetrics((values) => emitted.push(values));
    try {
      for (const outcome of ['sent', 'failed', 'skipped', 'requeued', 'busy', 'sent']) {
        outcomes.next = outcome;
        await handler({ Records: [due(`q-${outcome}`)] });
      }
    } finally {
      stop();
    }
    expect(emitted).toEqual([{ MessagesSent: 1 }, { MessagesSent: 1 }]);
  });
});
