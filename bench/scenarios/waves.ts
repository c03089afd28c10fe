/**
 * Fan-out waves (`npm run bench -- --only waves`): how many posts one send keeps in flight
 * (`FANOUT_CONCURRENCY`) against what a member of a group waits, with the Management API's round
 * trip modelled. Locally a post takes well under a millisecond and the posts of a fan-out are bound
 * by CPU, so the setting shows nothing; on AWS a post takes tens of milliseconds and a fan-out of 99
 * posts at 16 in flight is 7 waves of them, one after another. The local gateway delays every post
 * by `postLatencyMs` (`LocalGateway.setPostLatency`) while the others are under way, as API Gateway
 * does, so the waves show.
 *
 * One group of `members` (one socket each), one sender at a time, each send waited for until every
 * other member has the event. The settings alternate send by send (their order rotating), so drift
 * on a shared machine falls on all of them. The setting is switched as a deployment would
 * (`FANOUT_CONCURRENCY`, read when the handlers' dependencies are built).
 */
import { randomBytes } from 'node:crypto';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { resetConfig } from '../../lambdas/shared/config.ts';
import { type BenchClient, closeAll, connectAll } from '../client.ts';
import { Latency, type LatencySummary } from '../histogram.ts';
import { messageText } from '../load.ts';
import type { BenchStack } from '../stack.ts';

export interface WavesVariant {
  /** Posts in flight per send (`FANOUT_CONCURRENCY`). */
  readonly concurrency: number;
  /** Sender's frame → each other member's `message.created`. */
  readonly delivery: LatencySummary;
  /** Sender's frame → the last member's `message.created`, per send. */
  readonly last: LatencySummary;
  /**
   * Sender's frame → ack. Below the queue's threshold the ack is the route's response, so it comes
   * when the handler is done, after the last post.
   */
  readonly ack: LatencySummary;
  /** Deliveries expected (measured sends × the other members) and received, once each. */
  readonly expected: number;
  readonly delivered: number;
  /** Deliveries that did not come within the wait, and second copies (0 expected: the run fails). */
  readonly missing: number;
  readonly duplicated: number;
}

export interface WavesResults {
  /** The modelled round trip of one post (ms). */
  readonly postLatencyMs: number;
  readonly members: number;
  /** Sends per setting. */
  readonly sends: number;
  readonly textChars: number;
  readonly variants: readonly WavesVariant[];
}

export interface WavesOptions {
  readonly members: number;
  readonly sends: number;
  readonly postLatencyMs: number;
  readonly concurrencies: readonly number[];
  readonly textChars: number;
  readonly prefix: string;
}

/** How long a send's deliveries are waited for before the missing ones are counted. */
const WAIT_MS = 20_000;

interface Received {
  readonly clientMessageId: string;
  /** Each member's arrival time (ms), by userId. */
  readonly at: Map<string, number>;
  duplicated: number;
  readonly all: () => void;
}

function useConcurrency(value: number | string | undefined): void {
  if (value === undefined) delete process.env.FANOUT_CONCURRENCY;
  else process.env.FANOUT_CONCURRENCY = String(value);
  resetConfig();
  setDeps(undefined); // the next invocation builds its fan-out with the setting
}

export async function fanOutWaves(
  stack: BenchStack,
  options: WavesOptions,
  onTick: (f: number, label: string) => void,
): Promise<WavesResults | undefined> {
  const { gateway } = stack;
  if (!gateway) return undefined;
  if (stack.meter) stack.meter.exactTransactions = false;
  const saved = process.env.FANOUT_CONCURRENCY;
  const ids = Array.from({ length: options.members }, (_, i) => `${options.prefix}-${i}`);
  onTick(0, `waves: connecting ${options.members} members`);
  const clients = await connectAll(stack.url, ids, 16);
  const text = messageText(options.textChars);
  const sides = options.concurrencies.map((concurrency) => ({
    concurrency,
    delivery: new Latency(),
    last: new Latency(),
    ack: new Latency(),
    missing: 0,
    duplicated: 0,
    expected: 0,
    delivered: 0,
  }));
  /** The send being waited for: when each member got it (a second copy counts as a duplicate). */
  let waiting: Received | undefined;
  for (const client of clients) {
    client.onEvent((frame, at) => {
      const message = frame.message as { clientMessageId?: unknown } | undefined;
      const w = waiting;
      if (frame.type !== 'message.created' || !w || message?.clientMessageId !== w.clientMessageId) return;
      if (w.at.has(client.userId)) w.duplicated++;
      else w.at.set(client.userId, at);
      if (w.at.size === clients.length - 1) w.all();
    });
  }
  try {
    const [owner, ...rest] = clients as [BenchClient, ...BenchClient[]];
    const created = await owner.ok('createChat', {
      kind: 'group',
      name: `waves ${options.prefix}`,
      memberIds: rest.map((c) => c.userId),
    });
    const chatId = String((created.chat as { chatId?: string } | undefined)?.chatId);
    gateway.setPostLatency(options.postLatencyMs);
    const sendOnce = async (n: number, side?: (typeof sides)[number]) => {
      const sender = clients[n % clients.length] as BenchClient;
      const clientMessageId = `w-${randomBytes(6).toString('hex')}`;
      let got: Received | undefined;
      const all = new Promise<void>((resolve) => {
        got = { clientMessageId, at: new Map(), duplicated: 0, all: resolve };
        waiting = got;
      });
      let writtenAt = 0;
      const reply = await sender.request(
        'sendMessage',
        { chatId, text, clientMessageId },
        { onWrite: () => (writtenAt = performance.now()), timeoutMs: 30_000 },
      );
      if (reply.type !== 'ack') throw new Error(`sendMessage: ${JSON.stringify(reply)}`);
      const ackAt = performance.now();
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, WAIT_MS))]);
      // A copy that comes later is not counted: the next send waits for another clientMessageId.
      waiting = undefined;
      if (!side || !got) return;
      const at = [...got.at.values()];
      side.ack.record(ackAt - writtenAt);
      for (const t of at) side.delivery.record(t - writtenAt);
      if (at.length > 0) side.last.record(Math.max(...at) - writtenAt);
      side.expected += clients.length - 1;
      side.delivered += at.length;
      side.missing += clients.length - 1 - at.length;
      side.duplicated += got.duplicated;
    };
    // Unmeasured: each setting's first fan-out opens its keep-alive sockets to the gateway.
    for (const side of sides) {
      useConcurrency(side.concurrency);
      for (let i = 0; i < 3; i++) await sendOnce(i);
    }
    const total = options.sends * sides.length;
    for (let round = 0; round < options.sends; round++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(round + k) % sides.length] as (typeof sides)[number];
        onTick((round * sides.length + k) / total, `waves: ${side.concurrency} posts in flight`);
        useConcurrency(side.concurrency);
        await stack.idle();
        await sendOnce(round * sides.length + k, side);
      }
    }
  } finally {
    gateway.setPostLatency(0);
    useConcurrency(saved);
    await closeAll(clients);
  }
  return {
    postLatencyMs: options.postLatencyMs,
    members: options.members,
    sends: options.sends,
    textChars: options.textChars,
    variants: sides.map((s) => ({
      concurrency: s.concurrency,
      delivery: s.delivery.summary(),
      last: s.last.summary(),
      ack: s.ack.summary(),
      missing: s.missing,
      duplicated: s.duplicated,
      expected: s.expected,
      delivered: s.delivered,
    })),
  };
}

/** The report's section (bench/report.ts). */
export function renderWaves(
  waves: WavesResults,
  table: (h: string[], rows: (string | number)[][]) => string,
): string {
  const rows = waves.variants.map((v) => [
    v.concurrency,
    Math.ceil((waves.members - 1) / v.concurrency),
    v.delivery.p50,
    v.delivery.p95,
    v.last.p50,
    v.last.max,
    v.ack.p50,
    v.missing,
    v.duplicated,
  ]);
  return [
    `\n### Fan-out waves (group of ${waves.members}, one socket each; every post takes ${waves.postLatencyMs} ms, as modelled; ${waves.sends} sends per setting, alternating)\n`,
    table(
      [
        'posts in flight',
        'waves',
        'member p50 ms',
        'member p95 ms',
        'last member p50 ms',
        'last member max ms',
        'ack p50 ms',
        'missing',
        'dup',
      ],
      rows,
    ),
  ].join('\n');
}
