/**
 * The long-refusal cascade (a `RATE_LIMITED` longer than LONG_REFUSAL_MS fails, unsent, every queued
 * change of the action: outbox.ts failure()) on a fake socket and fake timers, at its edges: a failed
 * change that was waiting out a retry frees its chat at once; the failing changes are out of the
 * queues before an `outbox` listener hears of the first, so its discard() finds none of them (each is
 * reported once, failed) and frees no chat whose next change is failing (nothing more is sent);
 * and they leave the store at once, so a run after a crash sends none of them.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { type ChatClientError, MemoryStore } from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { BUDGET, fakeClient, flush, openedClient } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => vi.useRealTimers());

const open = openedClient;

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: ChatClientError) => `${e.code}: ${e.message}`,
  );

it("a change failed while it waits out a retry: its chat's next change goes at once, not when the wait ends", async () => {
  const h = await open();
  const reaction = outcome(h.client.react('c1', 'm1', '👍'));
  void h.client.sendMessage('c1', 'behind the reaction');
  const other = outcome(h.client.react('c2', 'm2', '👍'));
  await flush();
  const socket = FakeSocket.last;
  const [first, second] = socket.requests('react') as [Sent, Sent];
  // "Busy, please retry" in 30 s: c1 waits (its send behind the reaction too).
  socket.error(first, 'CONFLICT', { retryAfterMs: 30_000 });
  await flush();
  expect(socket.requests('sendMessage')).toEqual([]);
  // The long refusal of c2's reaction fails c1's waiting one with it: c1's send goes now.
  socket.error(second, 'RATE_LIMITED', BUDGET);
  await flush();
  expect(await reaction).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(await other).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(socket.requests('sendMessage').map((s) => s.text)).toEqual(['behind the reaction']);
  socket.ack(socket.requests('sendMessage')[0] as Sent, { messageId: 'x', ver: 1 });
  await flush();
  expect(h.client.pending()).toEqual([]);
  // Nothing goes again when the old wait would have ended.
  await vi.advanceTimersByTimeAsync(30_000);
  expect(socket.requests('react')).toHaveLength(2);
  expect(socket.requests('sendMessage')).toHaveLength(1);
});

it("a change discarded while it waits out a retry: its chat's next change goes at once", async () => {
  const h = await open();
  const reaction = outcome(h.client.react('c1', 'm1', '👍'));
  void h.client.sendMessage('c1', 'behind the reaction');
  await flush();
  const socket = FakeSocket.last;
  socket.error(socket.requests('react')[0] as Sent, 'CONFLICT', { retryAfterMs: 30_000 });
  await flush();
  const [entry] = h.client.pending();
  expect(entry?.action).toBe('react');
  expect(h.client.discard(entry?.id as string)).toBe(true);
  await flush();
  expect(await reaction).toBe('CLOSED: Discarded from the outbox.');
  expect(socket.requests('sendMessage').map((s) => s.text)).toEqual(['behind the reaction']);
  socket.ack(socket.requests('sendMessage')[0] as Sent, { messageId: 'x', ver: 1 });
  await flush();
  expect(h.client.pending()).toEqual([]);
  await vi.advanceTimersByTimeAsync(30_000);
  expect(socket.requests('react')).toHaveLength(1);
  expect(socket.requests('sendMessage')).toHaveLength(1);
});

it('a change the cascade fails cannot be discarded by an outbox listener meanwhile: reported once, failed', async () => {
  const h = await open();
  const sent = outcome(h.client.sendMessage('c1', 'too much'));
  const queued = outcome(h.client.sendMessage('c1', 'draft', { clientMessageId: 'draft-1' }));
  const last = outcome(h.client.sendMessage('c1', 'last'));
  const discards: boolean[] = [];
  h.client.on('outbox', (c) => {
    if (c.status === 'failed' && c.entry.fields.text === 'too much')
      discards.push(h.client.discard('draft-1'));
  });
  await flush();
  FakeSocket.last.error(FakeSocket.last.requests('sendMessage')[0] as Sent, 'RATE_LIMITED', BUDGET);
  await flush();
  expect(discards).toEqual([false]);
  expect(await sent).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(await queued).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(await last).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(h.changes.map((c) => `${c.entry.fields.text}:${c.status}`)).toEqual([
    'too much:queued',
    'draft:queued',
    'last:queued',
    'too much:failed',
    'draft:failed',
    'last:failed',
  ]);
  expect(h.client.pending()).toEqual([]);
  expect(FakeSocket.last.requests('sendMessage')).toHaveLength(1);
});

it("a listener's discard during the cascade frees no chat whose next change is failing: nothing more is sent", async () => {
  const h = await open();
  const big = outcome(h.client.sendMessage('c1', 'a long text'));
  const sa = outcome(h.client.sendMessage('c2', 'sa', { clientMessageId: 'sa' }));
  const sb = outcome(h.client.sendMessage('c2', 'sb', { clientMessageId: 'sb' }));
  await flush();
  const socket = FakeSocket.last;
  const [first, second] = socket.requests('sendMessage') as [Sent, Sent];
  socket.error(second, 'CONFLICT', { retryAfterMs: 30_000 }); // c2's first change waits out a retry
  await flush();
  const discards: string[] = [];
  h.client.on('outbox', (c) => {
    if (c.status === 'failed' && c.entry.fields.text === 'a long text')
      for (const e of h.client.pending('c2')) discards.push(`${e.id}:${h.client.discard(e.id)}`);
  });
  socket.error(first, 'RATE_LIMITED', BUDGET);
  await flush();
  expect(discards).toEqual([]);
  expect(socket.requests('sendMessage')).toHaveLength(2);
  for (const p of [big, sa, sb]) expect(await p).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(
    h.changes.filter((c) => c.status !== 'queued').map((c) => `${c.entry.fields.text}:${c.status}`),
  ).toEqual(['a long text:failed', 'sa:failed', 'sb:failed']);
  await vi.advanceTimersByTimeAsync(30_000);
  expect(socket.requests('sendMessage')).toHaveLength(2);
});

it('the changes the cascade fails leave the store at once: a run after a crash sends none of them', async () => {
  const store = new MemoryStore();
  const h = fakeClient({ sync: false, store });
  await flush();
  FakeSocket.last.open();
  // Many changes stored before: a few removals alone would wait for a later batch to be written.
  for (let i = 0; i < 40; i++) void h.client.react(`r${i}`, 'm1', '👍');
  const sends = ['s0', 's1', 's2'].map((text) => outcome(h.client.sendMessage('c1', text)));
  await flush(10);
  FakeSocket.last.error(FakeSocket.last.requests('sendMessage')[0] as Sent, 'RATE_LIMITED', BUDGET);
  await flush(10);
  for (const s of sends) expect(await s).toBe(`RATE_LIMITED: ${BUDGET.message}`);
  expect(store.outbox.filter((e) => e.action === 'sendMessage')).toEqual([]);
  FakeSocket.reset(); // a crash: no close(), a new run on the same store
  fakeClient({ sync: false, store });
  await flush(10);
  FakeSocket.last.open();
  await flush(10);
  expect(FakeSocket.last.requests('sendMessage')).toEqual([]);
});
