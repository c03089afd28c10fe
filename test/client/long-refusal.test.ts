/**
 * A `RATE_LIMITED` longer than a rate-limit window (LONG_REFUSAL_MS: the daily text budget's, until
 * 00:00 UTC) on a fake socket and fake timers: not waited out. `request` rejects at once with the
 * server's error, also with `retries` (the `scheduleMessage` helper); the outbox fails the change
 * (`failed`, as for NOT_FOUND) and, unsent, the action's queued changes with it; the action's gate
 * does not shut, so a later send goes to the server (which refuses it again) instead of waiting
 * unsent for hours. A refusal of LONG_REFUSAL_MS or less
 * is waited out as before (gate.test.ts, outbox.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LONG_REFUSAL_MS } from '../../client/src/errors.ts';
import { type ChatClientError, type OutboxChange, scheduleMessage } from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { BUDGET, flush, openedClient, TEN_HOURS } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => vi.useRealTimers());

const open = openedClient;

/** What `p` settled with so far: 'ok', the rejection's code and message, or undefined (pending). */
function watch(p: Promise<unknown>): () => string | undefined {
  let outcome: string | undefined;
  p.then(
    () => (outcome = 'ok'),
    (e: ChatClientError) => (outcome = `${e.code}: ${e.message} (${e.retryAfterMs})`),
  );
  return () => outcome;
}

const REJECTED = `RATE_LIMITED: ${BUDGET.message} (${TEN_HOURS})`;

describe('a refusal longer than LONG_REFUSAL_MS', () => {
  it("the scheduleMessage helper (retries: 2) rejects at once with the server's error", async () => {
    const h = await open();
    const fields = { chatId: 'c1', text: 'later', sendAt: '2026-12-06T09:00:00Z' };
    const outcome = watch(scheduleMessage(h.client, fields));
    await flush();
    FakeSocket.last.error(FakeSocket.last.requests('scheduleMessage')[0] as Sent, 'RATE_LIMITED', BUDGET);
    await flush();
    expect(outcome()).toBe(REJECTED);
    expect(FakeSocket.last.requests('scheduleMessage')).toHaveLength(1);

    // Not held by the action's gate: the next one goes out at once (the server refuses it again).
    const again = watch(scheduleMessage(h.client, { ...fields, text: 'again' }));
    await flush();
    const second = FakeSocket.last.requests('scheduleMessage')[1] as Sent;
    expect(second).toMatchObject({ text: 'again' });
    FakeSocket.last.error(second, 'RATE_LIMITED', BUDGET);
    await flush();
    expect(again()).toBe(REJECTED);
  });

  it('the outbox fails the send and, unsent, the queued ones (promises reject, outbox changes say failed); a later one goes out', async () => {
    const h = await open();
    const changes: OutboxChange[] = [];
    h.client.on('outbox', (c) => changes.push(c));
    const first = watch(h.client.sendMessage('c1', 'too much'));
    const next = watch(h.client.sendMessage('c1', 'next'));
    await flush();
    FakeSocket.last.error(FakeSocket.last.requests('sendMessage')[0] as Sent, 'RATE_LIMITED', BUDGET);
    await flush();
    expect([first(), next()]).toEqual([REJECTED, REJECTED]);
    expect(changes.map((c) => `${c.entry.fields.text}:${c.status}:${c.error?.retryAfterMs ?? ''}`)).toEqual([
      'too much:queued:',
      'next:queued:',
      `too much:failed:${TEN_HOURS}`,
      `next:failed:${TEN_HOURS}`,
    ]);
    // The queued one failed with it, unsent (long-refusal-flood.test.ts: the server's flood guard).
    expect(FakeSocket.last.requests('sendMessage').map((s) => s.text)).toEqual(['too much']);
    expect(h.client.pending()).toEqual([]);
    // A later send goes out at once, not in ten hours (the server refuses it again).
    const later = watch(h.client.sendMessage('c1', 'later'));
    await flush();
    const sends = FakeSocket.last.requests('sendMessage');
    expect(sends.map((s) => s.text)).toEqual(['too much', 'later']);
    FakeSocket.last.error(sends[1] as Sent, 'RATE_LIMITED', BUDGET);
    await flush();
    expect(later()).toBe(REJECTED);
    expect(h.client.pending()).toEqual([]);
  });

  it(`one of LONG_REFUSAL_MS (${LONG_REFUSAL_MS} ms) is still waited out, by request and the outbox`, async () => {
    const h = await open();
    const scheduled = watch(
      scheduleMessage(h.client, { chatId: 'c1', text: 'x', sendAt: '2026-12-06T09:00:00Z' }),
    );
    const sent = watch(h.client.sendMessage('c1', 'y'));
    await flush();
    const limit = { retryAfterMs: LONG_REFUSAL_MS };
    FakeSocket.last.error(FakeSocket.last.requests('scheduleMessage')[0] as Sent, 'RATE_LIMITED', limit);
    FakeSocket.last.error(FakeSocket.last.requests('sendMessage')[0] as Sent, 'RATE_LIMITED', limit);
    await vi.advanceTimersByTimeAsync(LONG_REFUSAL_MS - 1);
    expect([scheduled(), sent()]).toEqual([undefined, undefined]);
    expect(FakeSocket.last.requests('scheduleMessage')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(FakeSocket.last.requests('scheduleMessage')).toHaveLength(2);
    expect(FakeSocket.last.requests('sendMessage')).toHaveLength(2);
  });
});
