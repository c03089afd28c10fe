/** The dispatcher's handler: a record whose completion stayed contended (`busy`) comes again. */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';

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
});
