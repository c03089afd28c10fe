/**
 * What the pre-send hook costs a send (`npm run bench -- --only hook`): `sendMessage` latency in a
 * 1:1 chat without a hook and with the example word filter (hooks/word-filter.ts, which masks a word
 * of every message here: its rewrite path), in the same run, same chat and same sockets. Halves
 * alternate (off/on, then on/off) over several rounds after an unmeasured warm-up of both, so drift
 * on a shared machine falls on both sides. Sends are sequential (one in flight): the figures are
 * the path's own latency, not queueing. The hook is switched with `PRE_SEND_HOOK`, which the
 * handlers read at every send (lambdas/domain/hooks.ts); on AWS it is bundled instead, and the call
 * is the same.
 */
import { randomBytes } from 'node:crypto';
import { preSend } from '../../hooks/word-filter.ts';
import type { BenchClient } from '../client.ts';
import { closeAll, connectAll } from '../client.ts';
import { Latency, type LatencySummary } from '../histogram.ts';
import { messageText } from '../load.ts';
import type { BenchStack } from '../stack.ts';
import { round } from './latency.ts';

export const HOOK_MODULE = 'hooks/word-filter.ts';

export interface HookResults {
  readonly module: string;
  readonly rounds: number;
  readonly sendsPerHalf: number;
  readonly textChars: number;
  /** Sender's frame → ack. */
  readonly without: LatencySummary;
  readonly with: LatencySummary;
  /** The sendMessage handler's own duration (in this process), when metered. */
  readonly handlerWithout: LatencySummary | undefined;
  readonly handlerWith: LatencySummary | undefined;
  /** with vs without, in percent (positive: slower with the hook). */
  readonly p50ChangePct: number;
  readonly p99ChangePct: number;
  /** The hook function alone on the same text: microseconds per call (mean of many calls). */
  readonly hookCallUs: number;
}

const pct = (on: number, off: number) => (off > 0 ? round(((on - off) / off) * 100, 1) : 0);

export async function hookLatency(
  stack: BenchStack,
  options: { quick: boolean; textChars: number; prefix: string },
  onTick: (f: number, label: string) => void,
): Promise<HookResults> {
  const { textChars, prefix } = options;
  const rounds = 4;
  const sendsPerHalf = options.quick ? 30 : 100;
  // Without the cost phases' transaction re-reads: they would add to the measured sends.
  if (stack.meter) stack.meter.exactTransactions = false;
  // A word the filter masks, in every message: the hook rewrites each one.
  const text = `darn ${messageText(Math.max(10, textChars - 5))}`;
  const saved = process.env.PRE_SEND_HOOK;
  const setHook = (on: boolean) => {
    if (on) process.env.PRE_SEND_HOOK = HOOK_MODULE;
    else delete process.env.PRE_SEND_HOOK;
  };
  const clients = await connectAll(stack.url, [`${prefix}-A`, `${prefix}-B`], 2);
  const [a, b] = clients as [BenchClient, BenchClient];
  const sides = {
    off: { client: new Latency(), handler: new Latency() },
    on: { client: new Latency(), handler: new Latency() },
  };
  try {
    const created = await a.request('createChat', { kind: 'direct', userId: b.userId });
    const chatId = String((created.chat as { chatId?: string } | undefined)?.chatId);
    const sendOnce = async (into?: Latency) => {
      let writtenAt = 0;
      const reply = await a.request(
        'sendMessage',
        { chatId, text, clientMessageId: `h-${randomBytes(6).toString('hex')}` },
        { onWrite: () => (writtenAt = performance.now()), timeoutMs: 30_000 },
      );
      if (reply.type !== 'ack') throw new Error(`sendMessage: ${JSON.stringify(reply)}`);
      into?.record(performance.now() - writtenAt);
    };
    // Warm-up of both paths (the hook module loads at its first use).
    for (const on of [false, true]) {
      setHook(on);
      for (let i = 0; i < 20; i++) await sendOnce();
    }
    const halves = rounds * 2;
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
        onTick(done / halves, `hook: round ${r + 1}/${rounds}, ${on ? 'with' : 'without'} the hook`);
        setHook(on);
        const side = on ? sides.on : sides.off;
        await stack.idle();
        const before = stack.meter?.snapshot();
        for (let i = 0; i < sendsPerHalf; i++) await sendOnce(side.client);
        await stack.idle();
        for (const ms of (before && stack.meter?.since(before).sendMessage?.durations) ?? [])
          side.handler.record(ms);
        done++;
      }
    }
  } finally {
    if (saved === undefined) delete process.env.PRE_SEND_HOOK;
    else process.env.PRE_SEND_HOOK = saved;
    await closeAll(clients);
  }
  const calls = 20_000;
  const message = { chatId: 'c', senderId: 'u', senderName: 'U', text, attachmentCount: 0, fileNames: [] };
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) preSend(message);
  const hookCallUs = round(((performance.now() - t0) * 1000) / calls, 2);

  const without = sides.off.client.summary();
  const withHook = sides.on.client.summary();
  const metered = sides.off.handler.count > 0;
  return {
    module: HOOK_MODULE,
    rounds,
    sendsPerHalf,
    textChars: text.length,
    without,
    with: withHook,
    handlerWithout: metered ? sides.off.handler.summary() : undefined,
    handlerWith: metered ? sides.on.handler.summary() : undefined,
    p50ChangePct: pct(withHook.p50, without.p50),
    p99ChangePct: pct(withHook.p99, without.p99),
    hookCallUs,
  };
}

/** The report's section (bench/report.ts). */
export function renderHook(
  hook: HookResults,
  table: (h: string[], rows: (string | number)[][]) => string,
): string {
  const row = (name: string, l: LatencySummary) => [name, l.count, l.p50, l.p95, l.p99, l.max];
  const rows = [row('without a hook', hook.without), row(`with ${hook.module}`, hook.with)];
  if (hook.handlerWithout && hook.handlerWith) {
    rows.push(row('handler only, without', hook.handlerWithout), row('handler only, with', hook.handlerWith));
  }
  return [
    `\n### Pre-send hook (sendMessage 1:1, ${hook.textChars} chars, one in flight; ${hook.rounds} alternating rounds of ${hook.sendsPerHalf} per side)\n`,
    table(
      ['sendMessage (frame → ack)', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [...rows, ['change (frame → ack)', '', `${hook.p50ChangePct} %`, '', `${hook.p99ChangePct} %`, '']],
    ),
    `\nThe hook function alone: ${hook.hookCallUs} µs per call.`,
  ].join('\n');
}
