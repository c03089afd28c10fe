/**
 * The scale section's push rows (bench/scale.ts): a big group's notifications, priced from the
 * measured group of offline members (bench/scenarios/push-big.ts), belong in its cost per message.
 */
import { describe, expect, it } from 'vitest';
import { PRICES } from '../../bench/pricing.ts';
import { SCALE_ASSUMPTIONS, type ScaleRow, scaleModel } from '../../bench/scale.ts';
import type { BigGroupPushResults } from '../../bench/scenarios/push-big.ts';

const summary = { count: 3, p50: 1000, p95: 1000, p99: 1000, max: 1000, mean: 1000 };
const measured = (perPushRead: number): BigGroupPushResults => ({
  members: 1000,
  offline: 999,
  messages: 3,
  pushes: 2997,
  expected: 2997,
  sendToLastPush: summary,
  units: {
    perMessage: { read: perPushRead * 999, write: 0 },
    perPush: { read: perPushRead, write: 0 },
    callsPerMessage: { Query: 1998, GetItem: 1 },
    handlerMsPerMessage: 2500,
  },
});

const row = (rows: readonly ScaleRow[], item: string) => rows.find((r) => r.item === item);
const dollarsOf = (value: string | undefined) =>
  Number(/\$([\d.,]+)/.exec(value ?? '')?.[1]?.replace(/,/g, ''));

describe('scale model: a big group’s notifications', () => {
  it('prices every offline member’s notification into the cost per message', () => {
    const rows = scaleModel([], measured(1));
    const a = SCALE_ASSUMPTIONS;
    const pushed = a.bigGroupMembers * (1 - a.bigGroupOnline) * a.bigGroupPushed;
    const notifications = row(rows, 'notifications per message');
    expect(notifications?.value).toMatch(new RegExp(`^${pushed.toLocaleString('en-US')}: `));
    // 1 measured unit each, whatever the number of chats of the recipient, plus the member list; the
    // badge counter's write each.
    const units = Number(/: ([\d,]+) RCU/.exec(notifications?.value ?? '')?.[1]?.replace(/,/g, ''));
    expect(units).toBeGreaterThan(pushed);
    expect(units).toBeLessThan(pushed + 1000);
    const writes = Number(/ \+ ([\d,]+) WCU/.exec(notifications?.value ?? '')?.[1]?.replace(/,/g, ''));
    expect(writes).toBe(pushed);
    const withPush = dollarsOf(row(rows, 'cost per message')?.value);
    const without = dollarsOf(row(scaleModel([]), 'cost per message')?.value);
    const dynamo = units * PRICES.dynamoReadPerMillion + writes * PRICES.dynamoWritePerMillion;
    expect(withPush - without).toBeGreaterThanOrEqual(dynamo / 1e6 - 0.001);
  });

  it('gives the push worker’s jobs against their timeout, and the lower of two ceilings', () => {
    const rows = scaleModel([], measured(1));
    const a = SCALE_ASSUMPTIONS;
    const pushed = a.bigGroupMembers * (1 - a.bigGroupOnline) * a.bigGroupPushed;
    const work = /^(\d+) jobs of 200: ([\d.]+) s \(a job ([\d.]+) s, timeout 60 s\)$/.exec(
      row(rows, 'push worker per message')?.value ?? '',
    );
    expect(Number(work?.[1])).toBe(Math.ceil(pushed / 200));
    const jobSeconds = Number(work?.[3]);
    expect(jobSeconds).toBeGreaterThan(0);
    expect(jobSeconds).toBeLessThan(60);
    // 20 workers: the 40 jobs run in two rounds.
    expect(Number(work?.[2])).toBeCloseTo(2 * jobSeconds, 1);
    const units = Number(
      /: ([\d,]+) RCU/.exec(row(rows, 'notifications per message')?.value ?? '')?.[1]?.replace(/,/g, ''),
    );
    const byWorkers = (20 / (40 * jobSeconds)) * 60;
    const byTable = Math.min(40_000 / units, 40_000 / pushed) * 60;
    const ceiling = Number(/^(\d+) msg\/min/.exec(row(rows, 'push ceiling')?.value ?? '')?.[1]);
    expect(Math.abs(ceiling - Math.min(byWorkers, byTable))).toBeLessThanOrEqual(1);
    // A notification that costs more lowers the table's ceiling.
    const dearer = Number(
      /^(\d+) msg\/min/.exec(row(scaleModel([], measured(20)), 'push ceiling')?.value ?? '')?.[1],
    );
    expect(dearer).toBeLessThan(ceiling);
  });

  it('leaves the push rows out, and notifications out of the price, when nothing was measured', () => {
    const rows = scaleModel([]);
    expect(row(rows, 'notifications per message')).toBeUndefined();
    expect(row(rows, 'push ceiling')).toBeUndefined();
    expect(row(rows, 'member list read per message')?.basis).toMatch(
      /push function reads it for every message/,
    );
    const unmeasured = { ...measured(1), units: undefined };
    expect(row(scaleModel([], unmeasured), 'notifications per message')).toBeUndefined();
    expect(dollarsOf(row(scaleModel([], unmeasured), 'cost per message')?.value)).toBe(
      dollarsOf(row(rows, 'cost per message')?.value),
    );
  });
});

describe('scale model: membership changes in a big group', () => {
  const send = (label: string, read: number, write: number) =>
    ({ label, read, write, total: read + write }) as unknown as Parameters<typeof scaleModel>[0][number];

  it('prices a change by the member log, and cites the measured sends after a leave', () => {
    const rows = scaleModel([
      send('sendMessage after a member left (group of 1000: the member log, 1 KB)', 4, 8),
      send('sendMessage after a member left (group of 1000: the member list read again, 1 KB)', 62, 8),
    ]);
    const change = row(rows, 'membership change (a join or a leave)');
    const list = Number(/^([\d.]+) RCU/.exec(row(rows, 'member list read per message')?.value ?? '')?.[1]);
    expect(change?.value).toBe(`1 RCU per sending container (the member log), not ${2 * list} RCU`);
    expect(change?.basis).toContain('12 units with the log, 70 with the list read again');
    expect(row(scaleModel([]), 'membership change (a join or a leave)')?.basis).toMatch(/: n\/a$/);
  });
});
