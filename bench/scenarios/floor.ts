/**
 * The floor of this machine, measured in the same run: (1) a plain ws relay (sender → relay →
 * recipient) at the 1:1 phase's rate and message size, (2) one DynamoDB Local PutItem round trip of
 * an item of the same size. The floor is the distribution of relay + write: each percentile is taken
 * over the sums of every relay sample with every write sample (`floorOf`).
 *
 * Why every pairing, not relay p99 + write p99: the floor models one message that takes one relay hop
 * and one write. The two are timed apart (the relay paced at the 1:1 rate, the write back to back, in
 * other processes), so no sample of one belongs with a sample of the other; pairing them by index would
 * couple whatever happened to come first in each. Every pairing is the distribution of the sum of one
 * hop and one write drawn independently. Adding the two p99s instead asks both 1% tails to meet in the
 * same message, which happens to 1 message in 10,000: it overstated the floor's p99, and with 100 relay
 * samples that p99 was one sample (a 3.4 or a 12 ms outlier), so the 1:1 p99 verdict followed the
 * floor's noise (2.90× PASS in one run, 4.2× MISS with the previous run's relay p99).
 *
 * The relay is warmed first: every socket pair relays a few unmeasured frames (the first frames
 * through a fresh relay took 11–13 ms, later ones about 1 ms at most), as the stack is warmed before
 * the 1:1 phase (bench/warm-up.ts).
 *
 * The write goes to the stack's own table (items `FLOOR#…`, which no stream consumer matches): the
 * same engine state the product's calls meet. A table created for the floor after the warm-up was
 * measured 3–6× slower per call than the warm table beside it (11.7 against 1.9 ms a PutItem), which
 * would have flattered every ratio; a separate table is used only when the stack's is not known
 * (`BENCH_URL`).
 *
 * The write takes the product's own DynamoDB transport (the light data commands of
 * `lambdas/data/light-dynamo.ts`, about half the SDK's CPU per call): a floor written through the
 * SDK's full path would include per-call work the product no longer does, and flatter every ratio.
 * Runs before 2026-12-02 15:19 wrote it through the SDK.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { ensureTable } from '../../local/dynamodb-table.ts';
import { Latency, type LatencySummary } from '../histogram.ts';
import { messageText } from '../load.ts';
import { startRelay } from '../relay.ts';

export interface FloorResult {
  readonly relay: LatencySummary;
  readonly write: LatencySummary;
  /**
   * The same write paced like the 1:1 phase (one every 1/rate s; information only, the targets use
   * `floor`): a call after an idle gap costs more on this machine than one right after another.
   */
  readonly pacedWrite?: LatencySummary;
  /** The gap before each paced write (ms). */
  readonly pacedGapMs?: number;
  /**
   * relay + write (ms): each percentile over the sums of every relay sample with every write sample
   * (`floorOf`); `count` is the number of such pairs.
   */
  readonly floor: FloorPercentiles;
}

export interface FloorPercentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** Unmeasured frames each socket pair relays before the timed ones. */
export const RELAY_WARM_UP_ROUNDS = 3;
/** Writes timed back to back (after 300 unmeasured ones): enough for a p99. */
export const WRITE_SAMPLES = 1000;

/**
 * The floor from the relay's and the write's samples (ms): the percentiles of relay + write over every
 * pair (one relay hop and one write drawn independently), never the sum of the two percentiles.
 */
export function floorOf(relay: readonly number[], write: readonly number[]): FloorPercentiles {
  const sums = new Latency();
  for (const r of relay) for (const w of write) sums.record(r + w);
  const { count, p50, p95, p99 } = sums.summary();
  return { count, p50, p95, p99 };
}

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const s = new WebSocket(url);
    s.once('open', () => resolve(s));
    s.once('error', reject);
  });

async function relayLatency(
  pairs: number,
  rate: number,
  seconds: number,
  textChars: number,
  onTick: (f: number) => void,
): Promise<Samples> {
  const relay = await startRelay();
  const latency = new Latency();
  const samples: number[] = [];
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < pairs * 2; i++) sockets.push(await open(`${relay.url}/?id=${i}`));
    const sentAt = new Map<string, number>();
    let received = 0;
    let warmed = 0;
    for (const s of sockets) {
      s.on('message', (data) => {
        const at = performance.now();
        const { id } = JSON.parse(data.toString()) as { id: string };
        if (id.startsWith('w')) {
          warmed++;
          return;
        }
        const t0 = sentAt.get(id);
        if (t0 !== undefined) {
          latency.record(at - t0);
          samples.push(at - t0);
        }
        received++;
      });
    }
    const text = messageText(textChars);
    // Unmeasured: the relay's code path and every socket pair carry a few frames before any is timed.
    for (let round = 0; round < RELAY_WARM_UP_ROUNDS; round++) {
      for (let pair = 0; pair < pairs; pair++) {
        const frame = JSON.stringify({
          to: pair * 2 + 1,
          id: `w${round}.${pair}`,
          action: 'sendMessage',
          text,
        });
        (sockets[pair * 2] as WebSocket).send(frame);
      }
      const deadline = Date.now() + 5000;
      while (warmed < (round + 1) * pairs && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const total = Math.max(1, Math.round(rate * seconds));
    const started = performance.now();
    for (let n = 0; n < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (n < due) {
        const pair = n % pairs;
        const from = sockets[pair * 2] as WebSocket;
        const id = `f${n}`;
        const frame = JSON.stringify({ to: pair * 2 + 1, id, action: 'sendMessage', text });
        sentAt.set(id, performance.now());
        from.send(frame);
        n++;
      }
      onTick(n / total);
      await new Promise((r) => setTimeout(r, Math.max(1, started + (n / rate) * 1000 - performance.now())));
    }
    const deadline = Date.now() + 5000;
    while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } finally {
    for (const s of sockets) s.terminate();
    await relay.stop();
  }
  return { summary: latency.summary(), samples };
}

interface Samples {
  readonly summary: LatencySummary;
  readonly samples: readonly number[];
}

async function writeLatency(
  endpoint: string,
  table: string | undefined,
  count: number,
  textChars: number,
  paced: { readonly count: number; readonly gapMs: number },
): Promise<{ write: Samples; pacedWrite: LatencySummary }> {
  const tableName = table ?? `floor-${randomBytes(4).toString('hex')}`;
  if (!table) await ensureTable(endpoint, tableName);
  const doc = lightDynamo(DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, maxAttempts: 1 })));
  const text = messageText(textChars);
  let i = 0;
  const put = async (): Promise<number> => {
    const t0 = performance.now();
    const n = i++;
    await doc.send(
      new PutCommand({ TableName: tableName, Item: { pk: `FLOOR#${n % 50}`, sk: `MSG#${n}`, text } }),
    );
    return performance.now() - t0;
  };
  const write = new Latency();
  const samples: number[] = [];
  const pacedWrite = new Latency();
  try {
    // The first ones warm up the connection and DynamoDB Local's JIT (the handlers are warm too).
    for (let w = 0; w < 300; w++) await put();
    for (let n = 0; n < count; n++) {
      const ms = await put();
      write.record(ms);
      samples.push(ms);
    }
    for (let n = 0; n < paced.count; n++) {
      await new Promise((r) => setTimeout(r, paced.gapMs));
      pacedWrite.record(await put());
    }
  } finally {
    doc.destroy();
  }
  return { write: { summary: write.summary(), samples }, pacedWrite: pacedWrite.summary() };
}

export async function floor(
  dynamoEndpoint: string,
  tableName: string | undefined,
  options: { pairs: number; rate: number; seconds: number; textChars: number },
  onTick: (f: number) => void,
): Promise<FloorResult> {
  const relay = await relayLatency(options.pairs, options.rate, options.seconds, options.textChars, (f) =>
    onTick(f * 0.7),
  );
  onTick(0.7);
  // Paced at the 1:1 phase's rate (all its chats together), as its sends meet the table.
  const gapMs = Math.round(1000 / Math.max(1, options.rate));
  const { write, pacedWrite } = await writeLatency(
    dynamoEndpoint,
    tableName,
    WRITE_SAMPLES,
    options.textChars,
    {
      count: 100,
      gapMs,
    },
  );
  onTick(1);
  return {
    relay: relay.summary,
    write: write.summary,
    pacedWrite,
    pacedGapMs: gapMs,
    floor: floorOf(relay.samples, write.samples),
  };
}
