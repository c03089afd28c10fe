/**
 * The media part's figures (bench/scenarios/media.ts measures them): S3 requests by operation, the
 * cost per message and per million from the meter's deltas, and the printed section.
 */
import type { LatencySummary } from '../histogram.ts';
import type { MeterSnapshot } from '../meter.ts';
import { costPerMillion, type MessageCost, PRICES } from '../pricing.ts';
import { median } from './cost.ts';
import { round } from './latency.ts';

export interface MediaMessageCost {
  readonly label: string;
  readonly repetitions: number;
  /** DynamoDB units per message, over every handler it ran (requestUpload + sendMessage). */
  readonly read: number;
  readonly write: number;
  /** S3 requests per message by operation (the handlers' and the clients'). */
  readonly s3: Record<string, number>;
  readonly posts: number;
  /** Median handler ms per message, summed over its handlers. */
  readonly handlerMs: number;
  readonly perMillion: MessageCost & { s3: number; totalWithS3: number };
}

export interface MediaResults {
  readonly imageBytes: number;
  readonly textChars: number;
  readonly costs: readonly MediaMessageCost[];
  readonly latency: Record<string, LatencySummary>;
  readonly errors: number;
  readonly notes: readonly string[];
}

/** S3 requests by scope (route, or `client`) and operation. */
export type S3Counts = Map<string, Record<string, number>>;

/** The S3 operation a presigned request is (by method and subresource). */
export function s3Operation(method: string, url: string): string {
  const query = new URL(url).searchParams;
  if (method === 'PUT' && query.has('tagging')) return 'PutObjectTagging';
  if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
  return method === 'PUT' ? 'PutObject' : 'GetObject';
}

export function s3Delta(
  now: S3Counts,
  before: Record<string, Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [scope, ops] of now) {
    for (const [op, n] of Object.entries(ops)) {
      const delta = n - (before[scope]?.[op] ?? 0);
      if (delta > 0) out[`${op} (${scope})`] = delta;
    }
  }
  return out;
}

export function costOf(
  label: string,
  n: number,
  diff: MeterSnapshot,
  s3: Record<string, number>,
): MediaMessageCost {
  let read = 0;
  let write = 0;
  let posts = 0;
  let handlerMs = 0;
  let invocations = 0;
  for (const route of ['requestUpload', 'sendMessage']) {
    const stats = diff[route];
    if (!stats) continue;
    for (const c of Object.values(stats.commands)) {
      read += c.read;
      write += c.write + c.estimatedWrite;
    }
    posts += stats.posts;
    invocations += stats.invocations;
    handlerMs += median(stats.durations);
  }
  const perMessage = Object.fromEntries(Object.entries(s3).map(([k, v]) => [k, round(v / n, 3)]));
  const puts = Object.entries(perMessage)
    .filter(([k]) => !k.startsWith('GetObject'))
    .reduce((sum, [, v]) => sum + v, 0);
  const gets = Object.entries(perMessage)
    .filter(([k]) => k.startsWith('GetObject'))
    .reduce((sum, [, v]) => sum + v, 0);
  const calls = invocations / n;
  const base = costPerMillion({
    readUnits: read / n,
    writeUnits: write / n,
    apiGatewayMessages: 2 * calls + posts / n,
    lambdaInvocations: calls,
    lambdaMs: handlerMs / Math.max(1, calls),
  });
  const s3Cost = round(puts * PRICES.s3PutPerMillion + gets * PRICES.s3GetPerMillion, 4);
  return {
    label,
    repetitions: n,
    read: round(read / n, 3),
    write: round(write / n, 3),
    s3: perMessage,
    posts: round(posts / n, 3),
    handlerMs: round(handlerMs, 2),
    perMillion: { ...base, s3: s3Cost, totalWithS3: round(base.total + s3Cost, 4) },
  };
}

/** The printed section (Markdown). */
export function renderMedia(
  r: MediaResults,
  table: (h: string[], rows: (string | number)[][]) => string,
): string {
  const out = [
    `\n### A message with one image (${Math.round(r.imageBytes / 1024)} KB PNG) next to a text message (${r.textChars} chars)\n`,
  ];
  out.push(
    table(
      [
        'message',
        'read',
        'write',
        'S3 requests per message',
        'posts',
        'handler ms',
        '$ per million (DynamoDB + API GW + Lambda + S3)',
      ],
      r.costs.map((c) => [
        c.label,
        c.read,
        c.write,
        Object.entries(c.s3)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ') || 'none',
        c.posts,
        c.handlerMs,
        `${c.perMillion.dynamodb} + ${c.perMillion.apiGateway} + ${c.perMillion.lambda} + ${c.perMillion.s3} = ${c.perMillion.totalWithS3}`,
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['latency', 'n', 'p50 ms', 'p95 ms', 'max ms'],
      Object.entries(r.latency).map(([k, v]) => [k, v.count, v.p50, v.p95, v.max]),
    ),
  );
  if (r.errors) out.push(`\n${r.errors} media requests failed!`);
  for (const note of r.notes) out.push(`- ${note}`);
  return out.join('\n');
}
