/**
 * Past the daily text budget (a refusal longer than LONG_REFUSAL_MS) with many sends queued: the
 * first such answer fails every QUEUED change of the action at once, locally, with the same error
 * and no frame; only the few in flight (at most SENDS_IN_FLIGHT) reach the server, so its flood
 * guard (the real RefusalCounter: more than 30 frames after a refusal's first 3 s close the socket)
 * never closes it. A change in flight is not failed locally: its own answer decides (sent or failed,
 * never both).
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { OutboxChange } from '../../client/src/index.ts';
import { SENDS_IN_FLIGHT } from '../../client/src/outbox.ts';
import { RefusalCounter } from '../../lambdas/shared/flood-guard.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { BUDGET, fakeClient, flush, TEN_HOURS } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => vi.useRealTimers());

it('80 queued sends in 8 chats past the budget (RTT 300 ms): no close, all 80 failed, at most SENDS_IN_FLIGHT frames refused', async () => {
  const guard = new RefusalCounter();
  const closes: number[] = [];
  let refused = 0;
  const h = fakeClient({ sync: false });
  await flush();
  const changes: OutboxChange[] = [];
  h.client.on('outbox', (c) => changes.push(c));
  const outcomes: string[] = [];
  for (let i = 0; i < 10; i++) {
    for (let c = 0; c < 8; c++) {
      h.client.sendMessage(`c${c}`, `m${i}`).then(
        () => outcomes.push('ok'),
        (e: Error) => outcomes.push(e.message),
      );
    }
  }
  await flush();
  const socket = FakeSocket.last;
  const send = socket.send.bind(socket);
  // The server: every sendMessage refused 300 ms later, through the flood guard.
  socket.send = (data: string) => {
    send(data);
    const frame = socket.sent.at(-1) as Sent;
    if (frame.action !== 'sendMessage') return;
    setTimeout(() => {
      if (socket.closed) return;
      refused++;
      socket.error(frame, 'RATE_LIMITED', BUDGET);
      if (guard.refuse('conn', { action: 'sendMessage', retryAfterMs: TEN_HOURS }, Date.now())) {
        closes.push(Date.now());
        socket.serverClose(1001);
      }
    }, 300);
  };
  socket.open();
  await vi.advanceTimersByTimeAsync(120_000);

  expect(closes).toEqual([]);
  expect(FakeSocket.all).toHaveLength(1);
  expect(refused).toBeLessThanOrEqual(SENDS_IN_FLIGHT);
  expect(socket.requests('sendMessage').length).toBeLessThanOrEqual(SENDS_IN_FLIGHT);
  expect(h.client.pending()).toEqual([]);
  const failed = changes.filter((c) => c.status === 'failed');
  expect(failed).toHaveLength(80);
  expect(
    new Set(failed.map((c) => `${c.error?.code}: ${c.error?.message} (${c.error?.retryAfterMs})`)),
  ).toEqual(new Set([`RATE_LIMITED: ${BUDGET.message} (${TEN_HOURS})`]));
  expect(outcomes).toEqual(Array(80).fill(BUDGET.message));
});

it('the changes in flight are left to their own answers; queued ones of other actions go on', async () => {
  const h = fakeClient({ sync: false });
  await flush();
  FakeSocket.last.open();
  const changes: OutboxChange[] = [];
  h.client.on('outbox', (c) => changes.push(c));
  for (let c = 0; c < 6; c++) void h.client.sendMessage(`c${c}`, `m${c}`).catch(() => {});
  void h.client.sendMessage('c0', 'second').catch(() => {});
  void h.client.react('c5', 'msg-1', '👍').catch(() => {});
  await flush();
  const socket = FakeSocket.last;
  const inFlight = socket.requests('sendMessage');
  expect(inFlight.map((s) => s.text)).toEqual(['m0', 'm1', 'm2', 'm3']);
  socket.error(inFlight[1] as Sent, 'RATE_LIMITED', BUDGET);
  await flush();
  // m4, m5 and c0's second fail at once, unsent; m0, m2, m3 are still in flight; the reaction goes.
  expect(socket.requests('sendMessage')).toHaveLength(4);
  const status = () =>
    changes
      .filter((c) => c.status !== 'queued')
      .map((c) => `${c.entry.fields.text ?? c.entry.action}:${c.status}`);
  expect(status().sort()).toEqual(['m1:failed', 'm4:failed', 'm5:failed', 'second:failed']);
  socket.ack(inFlight[0] as Sent, { messageId: 'x0', ver: 1 });
  socket.error(inFlight[2] as Sent, 'RATE_LIMITED', BUDGET);
  socket.ack(inFlight[3] as Sent, { messageId: 'x3', ver: 1 });
  await flush();
  expect(status().slice(4).sort()).toEqual(['m0:sent', 'm2:failed', 'm3:sent']);
  expect(socket.requests('sendMessage')).toHaveLength(4);
  expect(socket.requests('react') ?? []).toHaveLength(1);
});
