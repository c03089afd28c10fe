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
 * computation: no request. What a message costs and the printed section: media-report.ts.
 */
import { randomBytes } from 'node:crypto';
import { MediaBucket, setMediaBucket } from '../../lambdas/data/media-bucket.ts';
import { getS3Presigner } from '../../lambdas/shared/clients.ts';
import { type BenchClient, connectAll, type Frame } from '../client.ts';
import { Latency } from '../histogram.ts';
import { messageText } from '../load.ts';
import type { Meter } from '../meter.ts';
import { PRICES } from '../pricing.ts';
import type { BenchStack } from '../stack.ts';
import { round } from './latency.ts';
import {
  costOf,
  type MediaMessageCost,
  type MediaResults,
  type S3Counts,
  s3Delta,
  s3Operation,
} from './media-report.ts';

export { type MediaMessageCost, type MediaResults, renderMedia } from './media-report.ts';

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
