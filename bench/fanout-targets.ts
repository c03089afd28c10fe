/**
 * Issue 15's targets besides the 1:1 ones (targets.ts): group latencies against the floor, units
 * into a group of 100, the group of 1,000, the busy group, and module load bundled vs unbundled.
 */
import type { BenchResults, Target } from './results.ts';
import type { BusyGroupResult } from './scenarios/busy.ts';
import type { HandlerColdStart } from './scenarios/coldstart.ts';

export function fanOutTargets(r: Omit<BenchResults, 'targets' | 'ok'>): Target[] {
  const out: Target[] = [];
  const f = r.floor?.floor;
  const judge = (ok: boolean | undefined): Target['status'] =>
    ok === undefined ? 'SKIPPED' : ok ? 'PASS' : 'MISS';
  const phase = (kind: string) => r.latency?.find((p) => p.kind === kind);
  for (const [kind, times] of [
    ['group10', 4],
    ['group100', 10],
  ] as const) {
    const p = phase(kind);
    out.push({
      name: `${kind} p50 vs floor`,
      goal: `≤ ${times}× (relay + one write, p50)`,
      measured:
        p && f ? `${p.latency.p50} ms = ${(p.latency.p50 / f.p50).toFixed(2)}× of ${f.p50} ms` : 'n/a',
      status: judge(p && f ? p.latency.p50 <= times * f.p50 : undefined),
    });
  }
  const big = phase('group1000');
  out.push({
    name: 'group of 1,000 works',
    goal: '0 missing, 0 duplicated, 0 failed sends; p50 reported',
    measured: big
      ? `${big.counts.delivered}/${big.counts.expected} delivered, ${big.counts.missing} missing, ${big.counts.duplicated} duplicated, ${big.counts.sendErrors} failed; p50 ${big.latency.p50} ms${f ? ` = ${(big.latency.p50 / f.p50).toFixed(1)}× floor` : ''}, ack p50 ${big.ack.p50} ms`
      : 'n/a',
    status: judge(
      big
        ? big.counts.missing + big.counts.duplicated + big.counts.sendErrors === 0 && big.counts.delivered > 0
        : undefined,
    ),
  });
  const send100 = r.cost?.fresh.find((c) => /^sendMessage \(group of 100, /.test(c.label));
  out.push({
    name: 'units to send into a group of 100',
    goal: '≤ 15 DynamoDB units',
    measured: send100
      ? `${send100.total} units (${send100.read} read + ${send100.write} write): ${Object.entries(
          send100.commands,
        )
          .map(([k, c]) => `${k}×${c.calls} ${c.read + c.write + c.estimatedWrite}`)
          .join(', ')}`
      : 'n/a',
    status: judge(send100 ? send100.total <= 15 : undefined),
  });
  out.push(busyTarget(r.busy), moduleLoadTarget(r.coldStart));
  return out;
}

export function busyTarget(busy: BusyGroupResult | undefined): Target {
  const c = busy?.counts;
  const codes = busy ? Object.entries(busy.errorCodes).map(([code, n]) => `${n} ${code}`) : [];
  return {
    name: 'busy group: 20 members, 100 msg/s, one chat',
    goal: '100 % acked, 0 CONFLICT, nothing lost; history and unread counts exact',
    measured:
      busy && c
        ? `${c.acked}/${c.sent} acked (${codes.length ? codes.join(', ') : 'no error'}), ${c.delivered}/${c.expected} delivered, ${c.missing} missing, ${c.duplicated} duplicated; ack p50 ${busy.ack.p50} ms, max ${busy.ack.max} ms; history ${busy.stored.messages} messages (${busy.stored.notOnce} not exactly once, ${busy.stored.unacknowledged} not acknowledged, ${busy.stored.voids} voids); unread exact for ${busy.unreadExact}/${busy.members}`
        : 'n/a',
    status: busy ? (busy.ok ? 'PASS' : 'MISS') : 'SKIPPED',
  };
}

/** Module load of every handler: bundled against the same code loading its packages from node_modules. */
export function moduleLoadTarget(coldStart: readonly HandlerColdStart[] | undefined): Target {
  const rows = (coldStart ?? []).filter((h) => h.unbundledLoadMs > 0);
  const bundled = rows.reduce((t, h) => t + h.bundledLoadMs, 0);
  const unbundled = rows.reduce((t, h) => t + h.unbundledLoadMs, 0);
  const ratios = rows.map((h) => h.bundledLoadMs / h.unbundledLoadMs).sort((a, b) => a - b);
  const ratio = unbundled > 0 ? bundled / unbundled : undefined;
  return {
    name: 'handler module load, bundled vs unbundled',
    goal: '≤ 0.45× (all handlers together)',
    measured:
      ratio === undefined
        ? 'n/a'
        : `${ratio.toFixed(2)}× (${Math.round(bundled)} against ${Math.round(unbundled)} ms over ${rows.length} handlers; per handler ${ratios[0]?.toFixed(2)}–${ratios.at(-1)?.toFixed(2)}×)`,
    status: ratio === undefined ? 'SKIPPED' : ratio <= 0.45 ? 'PASS' : 'MISS',
  };
}
