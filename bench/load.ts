/**
 * Open-loop load: `sendMessage` at a fixed rate for a fixed time, spread over the given chats with a
 * random member as sender; every send is booked in the ledger before its frame is written.
 */
import type { BenchClient } from './client.ts';
import { Latency } from './histogram.ts';
import { Ledger } from './ledger.ts';
import type { ChatRef, World } from './world.ts';

export interface LoadResult {
  readonly ledger: Ledger;
  /** sender write → each recipient's message.created (ms). */
  readonly latency: Latency;
  /** sender write → sender's ack (ms). */
  readonly ack: Latency;
  /** Seconds from the first send to the last delivery. */
  readonly seconds: number;
  /** Messages/s actually written. */
  readonly sendRate: number;
}

let sequence = 0;

export function messageText(chars: number): string {
  const base = 'The quick brown fox jumps over the lazy dog. Ünïcödé ✓ ';
  return base.repeat(Math.ceil(chars / base.length)).slice(0, chars);
}

export async function runLoad(options: {
  readonly world: World;
  readonly chats: readonly ChatRef[];
  /** Messages per second. */
  readonly rate: number;
  readonly seconds: number;
  readonly textChars: number;
  /** How long to wait for late deliveries after the last send. */
  readonly drainMs?: number;
  readonly onTick?: (fraction: number) => void;
}): Promise<LoadResult> {
  const { world, chats, rate, seconds } = options;
  if (chats.length === 0) throw new Error('no chats for this load');
  const ledger = new Ledger();
  const latency = new Latency();
  const ack = new Latency();
  world.ledger = ledger;
  const text = messageText(options.textChars);
  const total = Math.max(1, Math.round(rate * seconds));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  let chatCursor = 0;

  const sendOne = (): Promise<void> => {
    const chat = chats[chatCursor++ % chats.length] as ChatRef;
    const senderIndex = chat.members[Math.floor(Math.random() * chat.members.length)] as number;
    const sender = world.clients[senderIndex] as BenchClient;
    const recipients = chat.members.filter((m) => m !== senderIndex);
    const clientMessageId = `m${(++sequence).toString(36)}-${process.pid}`;
    let writtenAt = 0;
    return sender
      .request(
        'sendMessage',
        { chatId: chat.chatId, text, clientMessageId },
        {
          onWrite: () => {
            writtenAt = performance.now();
            ledger.expect(clientMessageId, recipients, writtenAt, latency);
          },
        },
      )
      .then((reply) => {
        if (reply.type === 'ack') ack.record(performance.now() - writtenAt);
        ledger.reply(clientMessageId, reply);
      });
  };

  // Schedule against the clock so a slow event loop catches up instead of lowering the rate.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) {
      inFlight.push(sendOne());
      sent++;
    }
    options.onTick?.(sent / total);
    const nextAt = started + (sent / rate) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(1, nextAt - performance.now())));
  }
  const writtenFor = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  await ledger.settle(options.drainMs ?? 5000);
  world.ledger = undefined;
  const lastAt = Math.max(ledger.lastDeliveryAt, started);
  return {
    ledger,
    latency,
    ack,
    seconds: (lastAt - started) / 1000,
    sendRate: sent / Math.max(writtenFor, 1e-3),
  };
}
