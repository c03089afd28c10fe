/**
 * A message with one image next to a text message, in a 1:1 chat, one at a time (nothing else in
 * flight): what each costs (DynamoDB units of every handler it runs, S3 requests by kind, posts) and
 * how long it takes, as the sender and the recipient see it.
 *
 * - Text: `sendMessage` written → ack; → the recipient's `message.created`.
 * - Image: `requestUpload` → ack; the PUT of the bytes (plain fetch to the presigned URL); then
 *   `sendMessage` with the upload → ack and → the recipient's `message.created`; `total` is from the
 *   first frame to the recipient's event; `view` is the recipient's GET of the presigned URL.
 *
 * S3 requests the handlers make are counted by wrapping the media bucket's fetch (per route, through
 * the meter's scope); the client's PUT and the recipient's GET are counted here. Presigning is local
 * computation: no request.
 */
import { randomBytes } from 'node:crypto';
import { MediaBucket, setMediaBucket } from '../../lambdas/data/media-bucket.ts';
import { getS3Presigner } from '../../lambdas/shared/clients.ts';
import { type BenchClient, connectAll, type Frame } from '../client.ts';
import { Latency, type LatencySummary } from '../histogram.ts';
import { messageText } from '../load.ts';
import type { Meter, MeterSnapshot } from '../meter.ts';
import { costPerMillion, type MessageCost, PRICES } from '../pricing.ts';
import type { BenchStack } from '../stack.ts';
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

type S3Counts = Map<string, Record<string, number>>;

/** The S3 operation a presigned request is (by method and subresource). */
function s3Operation(method: string, url: string): string {
  const query = new URL(url).searchParams;
  if (method === 'PUT' && query.has('tagging')) return 'PutObjectTagging';
  if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
  return method === 'PUT' ? 'PutObject' : 'GetObject';
}

const PNG_HEAD = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

export async function mediaScenario(
  stack: BenchStack,
  meter: Meter,
  options: { repeat: number; imageBytes: number; textChars: number; prefix: string },
  onTick: (fraction: number, label: string) => void,
): Promise<MediaResults> {
  if (!stack.s3Endpoint || !stack.mediaBucket) throw new Error('the media part needs the local S3');
  const counts: S3Counts = new Map();
  const count = (scope: string, op: string) => {
    const c = counts.get(scope) ?? {};
    c[op] = (c[op] ?? 0) + 1;
    counts.set(scope, c);
  };
  setMediaBucket(
    new MediaBucket({
      baseUrl: `${stack.s3Endpoint}/${stack.mediaBucket}`,
      presigner: getS3Presigner,
      fetch: (input, init) => {
        count(meter.scope.getStore() ?? 'client', s3Operation(init?.method ?? 'GET', String(input)));
        return fetch(input, init);
      },
    }),
  );
  const [a, b] = (await connectAll(stack.url, [`${options.prefix}-A`, `${options.prefix}-B`], 2)) as [
    BenchClient,
    BenchClient,
  ];
  const waits = new Map<string, (at: number) => void>();
  b.onEvent((frame, at) => {
    const id = String((frame.message as { clientMessageId?: string } | undefined)?.clientMessageId);
    if (frame.type === 'message.created') waits.get(id)?.(at);
  });
  const arrival = (cmid: string) => new Promise<number>((resolve) => waits.set(cmid, resolve));
  const chatId = String(
    ((await a.ok('createChat', { kind: 'direct', userId: b.userId })).chat as Frame).chatId,
  );
  const text = messageText(options.textChars);
  const image = Buffer.concat([PNG_HEAD, randomBytes(Math.max(0, options.imageBytes - PNG_HEAD.length))]);
  const latency: Record<string, Latency> = {};
  const lat = (name: string, ms: number) => {
    latency[name] ??= new Latency();
    latency[name].record(ms);
  };
  let errors = 0;
  const check = (reply: Frame) => {
    if (reply.type !== 'ack') errors++;
    return reply;
  };

  // One unmeasured message of each kind: the handlers are loaded and warm.
  await sendText(a, chatId, text, `${options.prefix}-warm-t`, arrival);
  await sendImage(a, chatId, image, `${options.prefix}-warm-i`, arrival);

  const measure = async (label: string, run: (i: number) => Promise<void>): Promise<MediaMessageCost> => {
    await stack.gateway?.idle();
    const before = meter.snapshot();
    const s3Before = structuredClone(Object.fromEntries(counts));
    for (let i = 0; i < options.repeat; i++) {
      await run(i);
      onTick((i + 1) / options.repeat, label);
    }
    await stack.gateway?.idle();
    return costOf(label, options.repeat, meter.since(before), s3Delta(counts, s3Before));
  };

  const textCost = await measure('text message', async (i) => {
    const r = await sendText(a, chatId, text, `${options.prefix}-t${i}`, arrival);
    check(r.reply);
    lat('text: send → ack', r.ack);
    lat('text: send → delivered', r.delivered);
  });
  const imageCost = await measure('message with one image', async (i) => {
    const r = await sendImage(a, chatId, image, `${options.prefix}-i${i}`, arrival, count);
    check(r.reply);
    lat('image: requestUpload → ack', r.requestUpload);
    lat('image: PUT of the bytes', r.put);
    lat('image: send → ack', r.ack);
    lat('image: send → delivered', r.delivered);
    lat('image: total (requestUpload → delivered)', r.total);
    lat('image: recipient GET of the URL', r.view);
  });
  await Promise.all([a.close(), b.close()]);
  setMediaBucket(undefined);
  return {
    imageBytes: options.imageBytes,
    textChars: options.textChars,
    costs: [textCost, imageCost],
    latency: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, v.summary()])),
    errors,
    notes: [
      `S3 at $${PRICES.s3PutPerMillion} per million PUT/POST/COPY/LIST (PutObject, PutObjectTagging) and $${PRICES.s3GetPerMillion} per million GET requests; one recipient GET per image counted (each further view is one more GET).`,
      `Not in the figures: storage ($${PRICES.s3StorageGbMonth} per GB-month: a ${Math.round(options.imageBytes / 1024)} KB image kept a year ≈ $${round((options.imageBytes / 1024 ** 3) * PRICES.s3StorageGbMonth * 12 * 1e6, 0)} per million images) and data transfer out to the internet ($0.09 per GB).`,
      'Local latencies: the local S3 stand-in and DynamoDB Local on the same machine; on AWS the PUT is bounded by the client’s uplink and the two S3 requests of sendMessage add about 10–30 ms.',
    ],
  };
}

async function sendText(
  a: BenchClient,
  chatId: string,
  text: string,
  cmid: string,
  arrival: (cmid: string) => Promise<number>,
) {
  let t0 = 0;
  const arrived = arrival(cmid);
  const reply = await a.request(
    'sendMessage',
    { chatId, text, clientMessageId: cmid },
    { onWrite: () => (t0 = performance.now()) },
  );
  const ack = performance.now() - t0;
  return { reply, ack, delivered: (await arrived) - t0 };
}

async function sendImage(
  a: BenchClient,
  chatId: string,
  image: Buffer,
  cmid: string,
  arrival: (cmid: string) => Promise<number>,
  count: (scope: string, op: string) => void = () => {},
) {
  let t0 = 0;
  const requested = await a.request(
    'requestUpload',
    { chatId, contentType: 'image/png', size: image.length },
    { onWrite: () => (t0 = performance.now()) },
  );
  const t1 = performance.now();
  const upload = requested.upload as { uploadId: string; url: string; headers: Record<string, string> };
  count('client', 'PutObject');
  const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: image });
  if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
  const t2 = performance.now();
  let t3 = 0;
  const arrived = arrival(cmid);
  const reply = await a.request(
    'sendMessage',
    { chatId, text: '', clientMessageId: cmid, attachments: [{ uploadId: upload.uploadId }] },
    { onWrite: () => (t3 = performance.now()) },
  );
  const t4 = performance.now();
  const t5 = await arrived;
  const url = (reply.message as { attachments?: { url: string }[] } | undefined)?.attachments?.[0]?.url ?? '';
  count('client', 'GetObject');
  const view = await fetch(url);
  await view.arrayBuffer();
  return {
    reply: reply.type === 'ack' && view.status === 200 ? reply : { ...reply, type: 'error' },
    requestUpload: t1 - t0,
    put: t2 - t1,
    ack: t4 - t3,
    delivered: t5 - t3,
    total: t5 - t0,
    view: performance.now() - t5,
  };
}

function s3Delta(now: S3Counts, before: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [scope, ops] of now) {
    for (const [op, n] of Object.entries(ops)) {
      const delta = n - (before[scope]?.[op] ?? 0);
      if (delta > 0) out[`${op} (${scope})`] = delta;
    }
  }
  return out;
}

function costOf(label: string, n: number, diff: MeterSnapshot, s3: Record<string, number>): MediaMessageCost {
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
