/**
 * The printed report: one renderer per section, each a list of Markdown lines (also pasted into
 * docs/performance.md), or nothing when its part did not run.
 */
import type { BenchResults } from './results.ts';
import { renderHook } from './scenarios/hook.ts';
import { renderMedia } from './scenarios/media.ts';
import { renderBigGroupPush } from './scenarios/push-big.ts';
import { renderReactions } from './scenarios/reactions.ts';
import { renderWaves } from './scenarios/waves.ts';

/** A Markdown table; columns of numbers align right, text columns left. */
function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) =>
    rows.every((r) => r[i] === undefined || r[i] === '' || /^[-\d.,/×% ]+$/.test(String(r[i]))),
  );
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), sep, ...cells.slice(1).map(line)].join('\n');
}

type Section = (r: BenchResults) => string[];

const machineSection: Section = (r) => [
  `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAverage.start} → ${r.machine.loadAverage.end}; run took ${r.durationSeconds} s (${r.startedAt}); ` +
    `phases: ${Object.entries(r.phaseSeconds)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')}.`,
];

const floorSection: Section = (r) => {
  const { floor, warmUp } = r;
  if (!floor) return [];
  const { relay, write, pacedWrite: paced } = floor;
  const oneToOne = r.latency?.find((p) => p.kind === 'direct');
  const warm = warmUp
    ? `Measured, like every time below, after an unmeasured warm-up of ${warmUp.sends} sends through the stack (${Math.round(warmUp.seconds)} s, ${warmUp.failed} unacked): DynamoDB Local's JVM is warm.\n\n`
    : "No warm-up before this run (`--warm-up 0`): DynamoDB Local's JVM was cold.\n\n";
  return [
    `\n### Floor (same run)\n\n${warm}`,
    table(
      ['floor', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        [
          'plain ws relay (sender → relay → recipient)',
          relay.count,
          relay.p50,
          relay.p95,
          relay.p99,
          relay.max,
        ],
        ['one DynamoDB Local PutItem round trip', write.count, write.p50, write.p95, write.p99, write.max],
        ['floor = relay + write', '', floor.floor.p50, floor.floor.p95, floor.floor.p99, ''],
        ...(paced
          ? [
              [
                `the same PutItem, one every ${floor.pacedGapMs} ms (information)`,
                paced.count,
                paced.p50,
                paced.p95,
                paced.p99,
                paced.max,
              ],
            ]
          : []),
      ],
    ),
    ...(paced && oneToOne
      ? [
          `\nThe write is timed back to back; paced like the 1:1 phase it took ${paced.p50} ms at p50 (a call after an idle gap wakes both processes). Against relay + that write (${round3(relay.p50 + paced.p50)} ms) the 1:1 p50 is ${Math.round((oneToOne.latency.p50 / (relay.p50 + paced.p50)) * 10) / 10}×; the targets use the floor above.\n`,
        ]
      : []),
  ];
};

const round3 = (n: number) => Math.round(n * 1000) / 1000;

const latencySection: Section = (r) => {
  if (!r.latency?.length) return [];
  const headers = ['chat', 'msg/s', 'deliveries', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  return [
    '\n### End-to-end latency (sender writes the frame → recipient socket receives message.created)\n',
    table(
      [...headers, 'ack p50', 'ack p99', 'missing', 'dup', 'errors', 'p50/floor'],
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
  ];
};

const busySection: Section = ({ busy, floor }) => {
  if (!busy) return [];
  const s = busy.stored;
  const codes = Object.entries(busy.errorCodes).map(([code, n]) => `${n} ${code}`);
  return [
    `\n### Busy group (${busy.members} members sending ${busy.targetRate} msg/s in total into one chat)\n`,
    table(
      ['measure', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'p50/floor'],
      [
        ['send → ack', busy.ack.count, busy.ack.p50, busy.ack.p95, busy.ack.p99, busy.ack.max, ''],
        [
          'send → each other member',
          busy.latency.count,
          busy.latency.p50,
          busy.latency.p95,
          busy.latency.p99,
          busy.latency.max,
          floor ? `${Math.round((busy.latency.p50 / floor.floor.p50) * 10) / 10}×` : '',
        ],
      ],
    ),
    `\n${busy.counts.acked} of ${busy.messages} sends acked at ${busy.sendRate} msg/s (refused: ${codes.length ? codes.join(', ') : 'none'}); ` +
      `${busy.counts.delivered} of ${busy.counts.expected} deliveries, ${busy.counts.missing} missing, ${busy.counts.duplicated} duplicated. ` +
      `History: ${s.messages} messages, ${s.notOnce} acknowledged sends not there exactly once, ${s.unacknowledged} not acknowledged, seqs ${s.seqsIncreasing ? 'strictly increasing' : 'NOT increasing'}, lastSeq ${s.lastSeq} (${s.voids} voids). ` +
      `Unread counts exact for ${busy.unreadExact} of ${busy.members} members` +
      (busy.unreadWrong.length
        ? ` (wrong: ${busy.unreadWrong.map((w) => `${w.userId} ${w.listed} for ${w.expected}`).join(', ')}).`
        : '.'),
  ];
};

const throughputSection: Section = ({ throughput }) => {
  if (!throughput) return [];
  const headers = ['target msg/s', 'sent msg/s', 'delivered/s', 'p50 ms', 'p99 ms'];
  return [
    '\n### Throughput step-up (1:1 chats)\n',
    table(
      [...headers, 'missing', 'dup', 'errors', 'verdict'],
      throughput.steps.map((s) => [
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
    `\nSustained: ${throughput.deliveredPerSecond} delivered events/s` +
      (throughput.sustained ? ` at ${throughput.sustained.targetRate} msg/s` : ' (no step passed)') +
      (throughput.limitReached ? '.' : ' — every step passed: the limit is higher (raise --tp-steps).'),
  ];
};

const costSection: Section = ({ cost }) => {
  if (!cost) return [];
  const headers = ['action', 'read', 'write', 'total', 'after seeding', 'posts', 'jobs', 'handler ms'];
  return [
    '\n### Cost per action (DynamoDB units per action; transactional writes at 2x)\n',
    table(
      [...headers, 'commands per action'],
      cost.fresh.map((c) => [
        c.label + (c.errors ? ` (${c.errors} errors!)` : ''),
        c.read,
        c.write,
        c.total,
        cost.seeded.find((s) => s.label === c.label)?.total ?? '',
        c.posts,
        c.jobs ?? '',
        c.handlerMs,
        Object.entries(c.commands)
          .map(
            ([k, v]) =>
              `${k}×${v.calls} ${v.read ? `${v.read}R` : ''}${v.write ? `${v.write}W` : ''}${v.estimatedWrite ? `+${v.estimatedWrite}W est.` : ''}`,
          )
          .join(', '),
      ]),
    ),
    '\n### Cost per million messages (AWS list prices, see assumptions)\n',
    table(
      ['message', 'DynamoDB $', 'API Gateway $', 'Lambda $', 'SQS $', 'total $'],
      Object.entries(cost.perMillionMessages).map(([k, v]) => [
        k,
        v.dynamodb,
        v.apiGateway,
        v.lambda,
        v.sqs,
        v.total,
      ]),
    ),
    ...cost.notes.map((note) => `- ${note}`),
  ];
};

const mediaSection: Section = ({ media }) => (media ? [renderMedia(media, table)] : []);

const reactionsSection: Section = ({ reactions }) => (reactions ? [renderReactions(reactions, table)] : []);

const hookSection: Section = ({ hook }) => (hook ? [renderHook(hook, table)] : []);
const wavesSection: Section = ({ waves }) => (waves ? [renderWaves(waves, table)] : []);

const coldStartSection: Section = ({ coldStart }) => {
  if (!coldStart?.length) return [];
  const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;
  return [
    '\n### Cold start proxy (median of fresh node processes, `await import()` only)\n',
    table(
      ['handler', 'bundle KB', 'gzip KB', 'bundled load ms', 'node_modules load ms'],
      coldStart.map((c) => [
        c.handler,
        kb(c.bundleBytes),
        kb(c.bundleGzipBytes),
        c.bundledLoadMs,
        c.unbundledLoadMs,
      ]),
    ),
  ];
};

const pushSection: Section = ({ push, pushBigGroup: big }) => {
  if (!push) return [];
  const l = push.sendLatency;
  const b = push.burst;
  const out = ['\n### Push pipeline (stream poller → push Lambda → APNs/FCM stand-ins)\n'];
  out.push(
    table(
      ['sendMessage (1:1, frame → ack)', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ['pipeline paused', l.off.count, l.off.p50, l.off.p95, l.off.p99, l.off.max],
        ['pipeline running', l.on.count, l.on.p50, l.on.p95, l.on.p99, l.on.max],
        ['change', '', `${l.p50ChangePct} %`, '', `${l.p99ChangePct} %`, ''],
      ],
    ),
  );
  out.push(
    `\nBurst: ${b.messages} messages to ${b.groups} groups with ${b.offlinePerGroup} offline members each: ` +
      `${b.pushes}/${b.expected} notifications in ${b.seconds} s = **${b.pushesPerSecond} pushes/s**; ` +
      `ack → notification p50 ${b.ackToPush.p50} ms, p99 ${b.ackToPush.p99} ms (sender's ack p50 ${b.sendAck.p50} ms).`,
  );
  if (push.units) {
    const u = push.units;
    out.push(
      '\n' +
        table(
          ['pipeline DynamoDB units', 'read', 'write', 'total'],
          [
            [
              'per 1:1 message, both online (no push)',
              u.perMessageOnline.read,
              u.perMessageOnline.write,
              u.perMessageOnline.total,
            ],
            [
              `per group message, ${b.offlinePerGroup} offline recipients`,
              u.perMessageBurst.read,
              u.perMessageBurst.write,
              u.perMessageBurst.total,
            ],
            ['per notification sent', u.perPush.read, u.perPush.write, u.perPush.total],
          ],
        ),
    );
    out.push(
      `\nBurst commands: ${Object.entries(u.commands)
        .map(([k, c]) => `${k}×${c.calls} ${c.read}R${c.write ? ` ${c.write}W` : ''}`)
        .join(', ')}.`,
    );
  }
  if (big) out.push(`\n${renderBigGroupPush(big)}`);
  return out;
};

const scaleSection: Section = ({ scale }) => {
  if (!scale?.length) return [];
  return [
    "\n### Scale on AWS (from this run's units and AWS's published prices and limits)\n",
    table(
      ['scenario', 'item', 'value', 'basis'],
      scale.map((x) => [x.scenario, x.item, x.value, x.basis]),
    ),
  ];
};

const targetsSection: Section = (r) => [
  '\n### Targets\n',
  table(
    ['target', 'goal', 'measured', 'status'],
    r.targets.map((t) => [t.name, t.goal, t.measured, t.status]),
  ),
  `\nDelivery: ${r.ok ? 'OK' : 'FAILED'} (${JSON.stringify(r.delivery)})`,
];

const SECTIONS: readonly Section[] = [
  machineSection,
  floorSection,
  latencySection,
  busySection,
  throughputSection,
  costSection,
  mediaSection,
  coldStartSection,
  pushSection,
  reactionsSection,
  hookSection,
  wavesSection,
  scaleSection,
  targetsSection,
];

/** Markdown tables of every figure, section by section. */
export function render(r: BenchResults): string {
  return SECTIONS.flatMap((section) => section(r)).join('\n');
}
