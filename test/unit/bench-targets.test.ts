/**
 * The bench's judgement of issue 15's busy group and module-load targets (bench/scenarios/busy.ts,
 * bench/fanout-targets.ts), and the ledger's count of refused sends by code (bench/ledger.ts).
 */
import { describe, expect, it } from 'vitest';
import { busyTarget, moduleLoadTarget } from '../../bench/fanout-targets.ts';
import { Latency } from '../../bench/histogram.ts';
import { Ledger } from '../../bench/ledger.ts';
import { type BusyGroupResult, busyOk } from '../../bench/scenarios/busy.ts';

const summary = { count: 1, p50: 1, p95: 1, p99: 1, max: 1, mean: 1 };

const draft = () => ({
  members: 20,
  messages: 100,
  targetRate: 100,
  sendRate: 99,
  latency: summary,
  ack: summary,
  counts: {
    sent: 100,
    acked: 100,
    sendErrors: 0,
    expected: 1900,
    delivered: 1900,
    duplicated: 0,
    missing: 0,
    unexpected: 0,
    late: 0,
  },
  errorCodes: {} as Record<string, number>,
  stored: { messages: 100, notOnce: 0, unacknowledged: 0, seqsIncreasing: true, lastSeq: 100, voids: 0 },
  unreadExact: 20,
  unreadWrong: [] as { userId: string; expected: number; listed: number | undefined }[],
});

function busy(change: (r: ReturnType<typeof draft>) => void = () => {}): BusyGroupResult {
  const r = draft();
  change(r);
  return { ...r, ok: busyOk(r) };
}

describe('the busy-group target', () => {
  it('passes when every send was acked, delivered once, stored once, and every unread count is exact', () => {
    const clean = busy();
    expect(clean.ok).toBe(true);
    expect(busyTarget(clean)).toMatchObject({ status: 'PASS' });
    expect(busyTarget(clean).measured).toContain('100/100 acked (no error)');
    // Voids (a seq whose put missed its deadline) are allowed: history skips them, counts stay exact.
    expect(busy((r) => Object.assign(r.stored, { lastSeq: 101, voids: 1 })).ok).toBe(true);
  });

  it('misses on a refused send, a loss, a duplicate, a wrong history or a wrong unread count', () => {
    const misses = [
      busy((r) => {
        Object.assign(r.counts, { acked: 99, sendErrors: 1, expected: 1881, delivered: 1881 });
        r.errorCodes.CONFLICT = 1;
        r.stored.messages = 99;
      }),
      busy((r) => Object.assign(r.counts, { delivered: 1899, missing: 1 })),
      busy((r) => Object.assign(r.counts, { duplicated: 1 })),
      busy((r) => Object.assign(r.stored, { notOnce: 1 })),
      // A send answered late (TIMEOUT) but stored: history holds a message nobody saw acknowledged.
      busy((r) => Object.assign(r.stored, { unacknowledged: 1 })),
      busy((r) => Object.assign(r.stored, { messages: 99 })),
      busy((r) => Object.assign(r.stored, { seqsIncreasing: false })),
      busy((r) => {
        r.unreadExact = 19;
        r.unreadWrong.push({ userId: 'u7', expected: 3, listed: 4 });
      }),
    ];
    for (const result of misses) {
      expect(result.ok).toBe(false);
      expect(busyTarget(result).status).toBe('MISS');
    }
    expect(busyTarget(misses[0]).measured).toContain('99/100 acked (1 CONFLICT)');
    expect(busyTarget(undefined).status).toBe('SKIPPED');
  });
});

describe('the module-load target', () => {
  const handler = (bundledLoadMs: number, unbundledLoadMs: number) => ({
    handler: 'h',
    entry: 'h.ts',
    bundleBytes: 1,
    bundleGzipBytes: 1,
    bundledLoadMs,
    unbundledLoadMs,
  });

  it('judges all handlers together against 0.45× and shows the per-handler range', () => {
    // A handler measured at 0 ms (a failed sample) is left out rather than divided by.
    expect(moduleLoadTarget([handler(90, 250), handler(60, 150), handler(5, 0)]).measured).toContain(
      'over 2 handlers',
    );
    const pass = moduleLoadTarget([handler(90, 250), handler(60, 150)]);
    expect(pass.status).toBe('PASS');
    expect(pass.measured).toBe('0.38× (150 against 400 ms over 2 handlers; per handler 0.36–0.40×)');
    // One slow handler pulls the total over: 150 / 320 ms.
    const miss = moduleLoadTarget([handler(90, 250), handler(60, 70)]);
    expect(miss).toMatchObject({ status: 'MISS', measured: expect.stringMatching(/^0\.47×/) });
    expect(moduleLoadTarget(undefined).status).toBe('SKIPPED');
    expect(moduleLoadTarget([]).status).toBe('SKIPPED');
  });
});

describe('the ledger', () => {
  it('counts refused and unanswered sends by code', async () => {
    const ledger = new Ledger();
    const latency = new Latency();
    for (const id of ['a', 'b', 'c', 'd']) ledger.expect(id, [1], 0, latency);
    ledger.reply('a', { type: 'error', code: 'CONFLICT' });
    ledger.reply('b', { type: 'error', code: 'CONFLICT' });
    ledger.reply('c', { type: 'ack' });
    ledger.deliver(1, 'c', 5);
    const counts = await ledger.settle(0); // 'd' never answered
    expect(ledger.errorCodes).toEqual({ CONFLICT: 2, NO_REPLY: 1 });
    expect(counts).toMatchObject({ sent: 4, acked: 1, sendErrors: 3, delivered: 1, missing: 0 });
  });
});
