/** The run's results: targets, the printed tables and the JSON files under bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { MessageCost, PRICES } from './pricing.ts';
import type { ClientBundleResult } from './scenarios/client.ts';
import type { HandlerColdStart } from './scenarios/coldstart.ts';
import type { ActionCost } from './scenarios/cost.ts';
import type { FloorResult } from './scenarios/floor.ts';
import type { LatencyPhaseResult } from './scenarios/latency.ts';
import type { ThroughputResult } from './scenarios/throughput.ts';

export interface CostResults {
  readonly fresh: readonly ActionCost[];
  readonly seeded: readonly ActionCost[];
  readonly seededChats: number;
  readonly perMillionMessages: Record<string, MessageCost & { assumptions: Record<string, number> }>;
  readonly notes: readonly string[];
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly status: 'PASS' | 'MISS' | 'SKIPPED';
}

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** Seconds per phase of the run. */
  readonly phaseSeconds: Record<string, number>;
  readonly machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    /** 1-minute load average at the start and the end of the run (other work on the machine skews figures). */
    loadAverage: { start: number; end: number };
  };
  readonly options: Record<string, unknown>;
  readonly floor?: FloorResult;
  readonly latency?: readonly LatencyPhaseResult[];
  readonly throughput?: ThroughputResult;
  readonly cost?: CostResults;
  readonly coldStart?: readonly HandlerColdStart[];
  /** The client package's bundle size (client/scripts/size.ts). */
  readonly client?: ClientBundleResult;
  readonly delivery: {
    expected: number;
    delivered: number;
    duplicated: number;
    missing: number;
    sendErrors: number;
  };
  readonly targets: readonly Target[];
  readonly prices: typeof PRICES;
  /** False when any delivery was missing or duplicated, or any send failed. */
  readonly ok: boolean;
}

export const startLoad = loadavg()[0] ?? 0;

export function machine(): BenchResults['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    node: process.version,
    platform: process.platform,
    loadAverage: {
      start: Math.round(startLoad * 100) / 100,
      end: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    },
  };
}

export function targets(r: Omit<BenchResults, 'targets' | 'ok'>, users: number): Target[] {
  const out: Target[] = [];
  const direct = r.latency?.find((p) => p.kind === 'direct');
  const judge = (ok: boolean | undefined): Target['status'] =>
    ok === undefined ? 'SKIPPED' : ok ? 'PASS' : 'MISS';
  const f = r.floor?.floor;
  const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : Number.NaN);
  out.push({
    name: '1:1 p50 vs floor',
    goal: '≤ 3× (relay + one write, p50)',
    measured:
      direct && f ? `${direct.latency.p50} ms = ${ratio(direct.latency.p50, f.p50)}× of ${f.p50} ms` : 'n/a',
    status: judge(direct && f ? direct.latency.p50 <= 3 * f.p50 : undefined),
  });
  out.push({
    name: '1:1 p99 vs floor',
    goal: '≤ 10× (relay + one write, p99)',
    measured:
      direct && f ? `${direct.latency.p99} ms = ${ratio(direct.latency.p99, f.p99)}× of ${f.p99} ms` : 'n/a',
    status: judge(direct && f ? direct.latency.p99 <= 10 * f.p99 : undefined),
  });
  const phases = [...(r.latency ?? []), ...(r.throughput?.steps ?? [])];
  out.push({
    name: `zero loss at ${users} users`,
    goal: '0 missing, 0 duplicated, 0 failed sends',
    measured: phases.length
      ? `${r.delivery.delivered}/${r.delivery.expected} delivered, ${r.delivery.missing} missing, ${r.delivery.duplicated} duplicated, ${r.delivery.sendErrors} failed sends`
      : 'n/a',
    status: judge(
      phases.length ? r.delivery.missing + r.delivery.duplicated + r.delivery.sendErrors === 0 : undefined,
    ),
  });
  const send = r.cost?.fresh.find((c) => c.label === 'sendMessage (1:1, 1 KB, clientMessageId)');
  out.push({
    name: '1:1 1 KB message with clientMessageId',
    goal: '≤ 8 DynamoDB units (reads + writes, transactional at 2x)',
    measured: send
      ? `${send.total} units (${send.read} read + ${send.write} write): ${Object.entries(send.commands)
          .map(([k, c]) => `${k}×${c.calls} ${c.read + c.write + c.estimatedWrite}`)
          .join(', ')}`
      : 'n/a',
    status: judge(send ? send.total <= 8 : undefined),
  });
  const typing = r.cost ? [...r.cost.fresh, ...r.cost.seeded].filter((c) => c.routeKey === 'typing') : [];
  out.push({
    name: 'typing writes nothing',
    goal: '0 write units',
    measured: typing.length
      ? `${Math.max(...typing.map((t) => t.write))} write units at most over ${typing.length} measurements`
      : 'n/a',
    status: judge(typing.length ? typing.every((t) => t.write === 0) : undefined),
  });
  if (r.cost) {
    const grown = r.cost.fresh
      .map((a) => ({ a, b: r.cost?.seeded.find((s) => s.label === a.label) }))
      .filter(({ a, b }) => b !== undefined && b.total > a.total + 0.5);
    out.push({
      name: 'units independent of table size',
      goal: `no action costs more after seeding ${r.cost.seededChats} unrelated chats (±0.5 unit)`,
      measured: grown.length
        ? grown.map(({ a, b }) => `${a.label}: ${a.total} → ${b?.total}`).join('; ')
        : `all ${r.cost.fresh.length} actions unchanged`,
      status: grown.length ? 'MISS' : 'PASS',
    });
  } else {
    out.push({ name: 'units independent of table size', goal: '', measured: 'n/a', status: 'SKIPPED' });
  }
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  out.push({
    name: 'client bundle (minified + gzipped)',
    goal: '≤ 12 KB',
    measured: r.client ? `${kb(r.client.gzipBytes)} (${kb(r.client.minifiedBytes)} minified)` : 'n/a',
    status: judge(r.client ? r.client.gzipBytes <= r.client.budgetBytes : undefined),
  });
  return out;
}

// ── Printing ─────────────────────────────────────────────────────────────────────────────────

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // Columns of numbers align right, text columns left.
  const numeric = headers.map((_, i) =>
    rows.every((r) => r[i] === undefined || r[i] === '' || /^[-\d.,/×% ]+$/.test(String(r[i]))),
  );
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), sep, ...cells.slice(1).map(line)].join('\n');
}

/** Markdown tables of every figure (also pasted into docs/performance.md). */
export function render(r: BenchResults): string {
  const out: string[] = [];
  out.push(
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAverage.start} → ${r.machine.loadAverage.end}; run took ${r.durationSeconds} s (${r.startedAt}); ` +
      `phases: ${Object.entries(r.phaseSeconds)
        .map(([k, v]) => `${k} ${v} s`)
        .join(', ')}.`,
  );
  if (r.floor) {
    out.push('\n### Floor (same run)\n');
    out.push(
      table(
        ['floor', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        [
          [
            'plain ws relay (sender → relay → recipient)',
            r.floor.relay.count,
            r.floor.relay.p50,
            r.floor.relay.p95,
            r.floor.relay.p99,
            r.floor.relay.max,
          ],
          [
            'one DynamoDB Local PutItem round trip',
            r.floor.write.count,
            r.floor.write.p50,
            r.floor.write.p95,
            r.floor.write.p99,
            r.floor.write.max,
          ],
          ['floor = relay + write', '', r.floor.floor.p50, r.floor.floor.p95, r.floor.floor.p99, ''],
        ],
      ),
    );
  }
  if (r.latency?.length) {
    out.push(
      '\n### End-to-end latency (sender writes the frame → recipient socket receives message.created)\n',
    );
    out.push(
      table(
        [
          'chat',
          'msg/s',
          'deliveries',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'max ms',
          'ack p50',
          'ack p99',
          'missing',
          'dup',
          'errors',
          'p50/floor',
        ],
        r.latency.map((p) => [
          `${p.kind} (${p.members} members, ${p.chats} chats)`,
          `${p.sendRate}/${p.targetRate}`,
          p.counts.delivered,
          p.latency.p50,
          p.latency.p95,
          p.latency.p99,
          p.latency.max,
          p.ack.p50,
          p.ack.p99,
          p.counts.missing,
          p.counts.duplicated,
          p.counts.sendErrors,
          r.floor ? `${Math.round((p.latency.p50 / r.floor.floor.p50) * 10) / 10}×` : '',
        ]),
      ),
    );
  }
  if (r.throughput) {
    out.push('\n### Throughput step-up (1:1 chats)\n');
    out.push(
      table(
        [
          'target msg/s',
          'sent msg/s',
          'delivered/s',
          'p50 ms',
          'p99 ms',
          'missing',
          'dup',
          'errors',
          'verdict',
        ],
        r.throughput.steps.map((s) => [
          s.targetRate,
          s.sendRate,
          s.deliveredPerSecond,
          s.latency.p50,
          s.latency.p99,
          s.counts.missing,
          s.counts.duplicated,
          s.counts.sendErrors,
          s.ok ? 'ok' : `stop: ${s.stopReason}`,
        ]),
      ),
    );
    out.push(
      `\nSustained: ${r.throughput.deliveredPerSecond} delivered events/s` +
        (r.throughput.sustained ? ` at ${r.throughput.sustained.targetRate} msg/s` : ' (no step passed)') +
        (r.throughput.limitReached ? '.' : ' — every step passed: the limit is higher (raise --tp-steps).'),
    );
  }
  if (r.cost) {
    out.push('\n### Cost per action (DynamoDB units per action; transactional writes at 2x)\n');
    out.push(
      table(
        ['action', 'read', 'write', 'total', 'after seeding', 'posts', 'handler ms', 'commands per action'],
        r.cost.fresh.map((c) => {
          const seeded = r.cost?.seeded.find((s) => s.label === c.label);
          return [
            c.label + (c.errors ? ` (${c.errors} errors!)` : ''),
            c.read,
            c.write,
            c.total,
            seeded ? seeded.total : '',
            c.posts,
            c.handlerMs,
            Object.entries(c.commands)
              .map(
                ([k, v]) =>
                  `${k}×${v.calls} ${v.read ? `${v.read}R` : ''}${v.write ? `${v.write}W` : ''}${v.estimatedWrite ? `+${v.estimatedWrite}W est.` : ''}`,
              )
              .join(', '),
          ];
        }),
      ),
    );
    out.push('\n### Cost per million messages (AWS list prices, see assumptions)\n');
    out.push(
      table(
        ['message', 'DynamoDB $', 'API Gateway $', 'Lambda $', 'total $'],
        Object.entries(r.cost.perMillionMessages).map(([k, v]) => [
          k,
          v.dynamodb,
          v.apiGateway,
          v.lambda,
          v.total,
        ]),
      ),
    );
    for (const note of r.cost.notes) out.push(`- ${note}`);
  }
  if (r.coldStart?.length) {
    out.push('\n### Cold start proxy (median of fresh node processes, `await import()` only)\n');
    out.push(
      table(
        ['handler', 'bundle KB', 'gzip KB', 'bundled load ms', 'node_modules load ms'],
        r.coldStart.map((c) => [
          c.handler,
          Math.round(c.bundleBytes / 102.4) / 10,
          Math.round(c.bundleGzipBytes / 102.4) / 10,
          c.bundledLoadMs,
          c.unbundledLoadMs,
        ]),
      ),
    );
  }
  out.push('\n### Targets\n');
  out.push(
    table(
      ['target', 'goal', 'measured', 'status'],
      r.targets.map((t) => [t.name, t.goal, t.measured, t.status]),
    ),
  );
  out.push(`\nDelivery: ${r.ok ? 'OK' : 'FAILED'} (${JSON.stringify(r.delivery)})`);
  return out.join('\n');
}

export function writeResults(dir: string, r: BenchResults): { latest: string; stamped: string } {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(r, null, 2)}\n`;
  const stamped = join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  const latest = join(dir, 'latest.json');
  writeFileSync(stamped, json);
  writeFileSync(latest, json);
  return { latest, stamped };
}
