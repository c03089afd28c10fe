/**
 * The report's sections of times (bench/report.ts): the floor, end-to-end latency, the busy group and
 * the throughput step-up.
 */
import { type Section, table } from './report-table.ts';

export const floorSection: Section = (r) => {
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
        [
          'floor: relay + write, over every pair of samples',
          floor.floor.count ?? '',
          floor.floor.p50,
          floor.floor.p95,
          floor.floor.p99,
          '',
        ],
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

export const latencySection: Section = (r) => {
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

export const busySection: Section = ({ busy, floor }) => {
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

export const throughputSection: Section = ({ throughput }) => {
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
