/** The fan-out targets of issue 15: group latencies against the floor, units into a group of 100, the group of 1,000. */
import type { BenchResults, Target } from './results.ts';

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
  return out;
}
