/**
 * The client under the daily text budget (TEXT_MB_PER_DAY, 1 MB here: docs/protocol.md Limits).
 * Past it the server answers `sendMessage` and `scheduleMessage` `RATE_LIMITED` with `retryAfterMs`
 * reaching 00:00 UTC: hours, not a rate-limit window. The client does not wait that out (errors.ts,
 * LONG_REFUSAL_MS): `request` (and the helpers' retries) rejects at once with the server's sentence,
 * the outbox fails the send (`failed`, as for NOT_FOUND), and a later one fails at once too, unsent.
 */
import { describe, expect, it } from 'vitest';
import { LONG_REFUSAL_MS } from '../../client/src/errors.ts';
import { type OutboxChange, scheduleMessage } from '../../client/src/index.ts';
import { useTestStack } from '../support/stack.ts';
import { useClients } from './support/e2e.ts';

const stack = useTestStack({ env: { TEXT_MB_PER_DAY: '1' } });
const { pair } = useClients(stack);

/** 16,000 bytes stored (+1 KB): the budget of 1 MB is spent in ~62. */
const TEXT = '😀'.repeat(4000);
const REFUSAL = {
  code: 'RATE_LIMITED',
  message: expect.stringMatching(/^Too much text stored today: at most 1 MB a day\. Retry in \d+ s\.$/),
  retryAfterMs: expect.any(Number),
};

/** Settles with what `p` rejected with, or 'still waiting' after `ms`. */
const within = (p: Promise<unknown>, ms = 10_000): Promise<unknown> =>
  Promise.race([
    p.then(
      () => 'ok',
      (error: unknown) => error,
    ),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), ms)),
  ]);

/** Calls `go` until it does not succeed: what it failed with (or 'still waiting'), and how many went. */
async function untilRefused(
  go: (i: number) => Promise<unknown>,
): Promise<{ outcome: unknown; done: number }> {
  for (let i = 0; i < 100; i++) {
    const outcome = await within(go(i));
    if (outcome !== 'ok') return { outcome, done: i };
  }
  throw new Error('never refused');
}

const retryAfter = (error: unknown): number => Number((error as { retryAfterMs?: number }).retryAfterMs);

describe('the daily text budget through the client', () => {
  it('scheduleMessage (retries: 2) rejects at once with the server refusal, and again at once after', async () => {
    const { alice, chatId } = await pair('text-budget-schedule');
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { outcome, done } = await untilRefused(() =>
      scheduleMessage(alice, { chatId, text: TEXT, sendAt }),
    );
    expect(done).toBeGreaterThan(50);
    expect(outcome).toMatchObject(REFUSAL);
    expect(retryAfter(outcome)).toBeGreaterThan(LONG_REFUSAL_MS);
    // Another, small: the client knows the budget is spent until 00:00 UTC and says so at once.
    const again = await within(scheduleMessage(alice, { chatId, text: 'hi', sendAt }), 2000);
    expect(again).toMatchObject(REFUSAL);
    expect(retryAfter(again)).toBeGreaterThan(LONG_REFUSAL_MS);
    expect(retryAfter(again)).toBeLessThanOrEqual(retryAfter(outcome));
  });

  it('the outbox fails the refused send with the server refusal, and a later send at once', async () => {
    const { alice, chatId } = await pair('text-budget-send');
    const changes: OutboxChange[] = [];
    alice.on('outbox', (c) => changes.push(c));
    const { outcome, done } = await untilRefused(() => alice.sendMessage(chatId, TEXT));
    expect(done).toBeGreaterThan(50);
    expect(outcome).toMatchObject(REFUSAL);
    expect(retryAfter(outcome)).toBeGreaterThan(LONG_REFUSAL_MS);
    const again = await within(alice.sendMessage(chatId, 'hi'), 2000);
    expect(again).toMatchObject(REFUSAL);
    const failed = changes.filter((c) => c.status === 'failed');
    expect(failed.map((c) => [(c.entry.fields as { text: string }).text.length, c.error?.code])).toEqual([
      [TEXT.length, 'RATE_LIMITED'],
      [2, 'RATE_LIMITED'],
    ]);
    expect(alice.pending()).toEqual([]);
    // Other actions go on.
    await expect(alice.request('ping')).resolves.toBeDefined();
  });
});
