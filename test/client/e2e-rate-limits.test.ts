/**
 * The client under the server's per-user rate limits, on the local stack (docs/protocol.md Limits).
 * The server closes a socket refused `RATE_LIMITED` more than FLOOD_REFUSALS_MAX times in a minute
 * (lambdas/shared/flood-guard.ts); the client must never get there in normal use. Here a client comes
 * back online with two messages queued in each of 40 chats (more chats than that threshold), and its
 * `sendMessage` limit is scaled down (RATE_LIMIT_FACTOR) to 40 a window, so the flush fills the window
 * and runs into `RATE_LIMITED`; the rest waits for the next window. The windows are shortened from a
 * minute to 15 s (RATE_LIMIT_WINDOW_SECONDS), which proves the same: the flush fills its window in
 * about a second (so the refusals come as they do in a minute's window); the 80 messages still take
 * exactly two windows of 40; the flood guard's counting minute is not shortened (only its
 * `$connect` hold, one shortened window, which this client never meets), so the refusals it counts
 * are those of the flush, as before; and a shorter `retryAfterMs` only makes "answered before the
 * refused action may go again" stricter. Asserted on what went over the wire:
 *   - the socket is never closed by the server, the client does not reconnect, and every message is
 *     stored exactly once, in order, in its chat;
 *   - after a `RATE_LIMITED` for an action, no frame of that action leaves before `retryAfterMs`
 *     (the per-action gate, client/src/gate.ts), so the refusals are at most the outbox's
 *     SENDS_IN_FLIGHT;
 *   - other actions are not held meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatClient, Message } from '../../client/src/index.ts';
import { SENDS_IN_FLIGHT } from '../../client/src/outbox.ts';
import { FLOOD_REFUSALS_MAX } from '../../lambdas/shared/flood-guard.ts';
import { onMetrics } from '../../lambdas/shared/metrics.ts';
import {
  RATE_LIMIT_FACTOR_ENV,
  RATE_LIMIT_WINDOW_ENV,
  rateLimitOf,
} from '../../lambdas/shared/rate-limits.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import {
  clientFor,
  gate,
  serverHistory,
  settled,
  socketFamily,
  useClients,
  type WireEvent,
} from './support/e2e.ts';

const stack = useTestStack();
const { track } = useClients(stack);

const CHATS = 40;
const PER_CHAT = 2;
/** Setting up 40 chats needs room (createChat: 20 a minute unscaled). */
const ROOMY = '10';
/** sendMessage: 40 a minute, so the flush's first sends fill the window and its next ones are refused. */
const SCARCE = '0.1334';
/**
 * Every window shortened from 60 s (RATE_LIMIT_WINDOW_SECONDS): the flush fills it within a few
 * seconds, and the rest waits for the next one, not for a minute.
 */
const WINDOW_SECONDS = 15;

const text = (chat: number, n: number) => `chat ${chat} message ${n}`;

interface Refusal {
  readonly at: number;
  readonly action: string;
  readonly retryAfterMs: number;
}

/** The `RATE_LIMITED` answers on the wire, with the action of the request each answers. */
function refusals(wire: readonly WireEvent[]): Refusal[] {
  const actionOf = new Map(
    wire.filter((w) => w.dir === 'out').map((w) => [w.frame.requestId, w.frame.action]),
  );
  return wire
    .filter((w) => w.dir === 'in' && w.frame.type === 'error' && w.frame.code === 'RATE_LIMITED')
    .map((w) => ({
      at: w.at,
      action: String(actionOf.get(w.frame.requestId)),
      retryAfterMs: Number(w.frame.retryAfterMs),
    }));
}

interface Run {
  client: ChatClient;
  chatIds: string[];
  sent: Message[];
  /** The wire from the moment the client may reconnect. */
  wire: WireEvent[];
  reconnects: number;
  floodCloses: number;
  /** Other actions asked while sendMessage was refused: how long they took, and whether a send left meanwhile. */
  others: { ms: number; refusal: Refusal; answeredAt: number; sendsMeanwhile: number };
}

let run: Run | undefined;
const saved = {
  [RATE_LIMIT_FACTOR_ENV]: process.env[RATE_LIMIT_FACTOR_ENV],
  [RATE_LIMIT_WINDOW_ENV]: process.env[RATE_LIMIT_WINDOW_ENV],
};

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The scenario the tests below look at (run once: it waits out a window). */
async function flushIntoTheLimit(): Promise<Run> {
  process.env[RATE_LIMIT_WINDOW_ENV] = String(WINDOW_SECONDS);
  process.env[RATE_LIMIT_FACTOR_ENV] = ROOMY;
  const g = gate();
  const sockets = socketFamily();
  const client = track(clientFor(stack, uniqueId('flusher'), { gate: g, WebSocket: sockets.WebSocket }));
  await settled(client);
  const chatIds: string[] = [];
  for (let i = 0; i < CHATS; i++) {
    const { chat } = await client.request('createChat', { kind: 'group', name: `g${i}`, memberIds: [] });
    chatIds.push(chat.chatId);
  }
  await settled(client);
  // Offline: the messages are queued in the outbox.
  g.close();
  sockets.dropAll();
  await eventually(() => client.state === 'reconnecting');
  const sends: Promise<Message>[] = [];
  for (const [i, chatId] of chatIds.entries()) {
    for (let n = 0; n < PER_CHAT; n++) sends.push(client.sendMessage(chatId, text(i, n)));
  }
  // Awaited below; a scenario that fails before then must not leave them unhandled at close().
  for (const send of sends) send.catch(() => undefined);
  expect(client.pending()).toHaveLength(CHATS * PER_CHAT);
  process.env[RATE_LIMIT_FACTOR_ENV] = SCARCE;
  expect(rateLimitOf('sendMessage')).toMatchObject({ max: CHATS, windowSeconds: WINDOW_SECONDS });
  let floodCloses = 0;
  const stopMetrics = onMetrics((m) => {
    floodCloses += m.FloodingSocketsClosed ?? 0;
  });
  try {
    const reconnectsBefore = client.stats.reconnects;
    const from = sockets.wire.length;
    const wire = () => sockets.wire.slice(from);
    g.open();
    // Once sendMessage is refused, other actions are asked for.
    await eventually(() => refusals(wire()).some((r) => r.action === 'sendMessage'), 30_000);
    const refusal = refusals(wire()).find((r) => r.action === 'sendMessage') as Refusal;
    process.stderr.write(
      `first refusal ${refusal.at - (sockets.wire[from]?.at ?? 0)} ms after reopening, retryAfterMs ${refusal.retryAfterMs}\n`,
    );
    const asked = Date.now();
    // (Retried: a client the server closed gets DISCONNECTED; the tests below tell what happened.)
    await client.request('listChats', { limit: 1 }, { retries: 3 });
    await client.request('getChat', { chatId: chatIds[0] as string }, { retries: 3 });
    const answeredAt = Date.now();
    const sendsMeanwhile = wire().filter(
      (w) => w.dir === 'out' && w.frame.action === 'sendMessage' && w.at > refusal.at,
    ).length;
    const others = { ms: answeredAt - asked, refusal, answeredAt, sendsMeanwhile };
    const sent = await Promise.all(sends);
    await settled(client, 30_000);
    return {
      client,
      chatIds,
      sent,
      wire: wire(),
      reconnects: client.stats.reconnects - reconnectsBefore,
      floodCloses,
      others,
    };
  } finally {
    stopMetrics();
    process.env[RATE_LIMIT_FACTOR_ENV] = ROOMY;
  }
}

describe('a client flushing an outbox queued offline in 40 chats into its send limit', () => {
  beforeAll(async () => {
    run = await flushIntoTheLimit();
  }, 180_000);

  const done = (): Run => {
    if (!run) throw new Error('the flush did not run');
    return run;
  };

  it('is never closed by the server, does not reconnect, and stores every message once, in order', async () => {
    const { client, chatIds, sent, wire, reconnects, floodCloses } = done();
    const closes = wire.filter((w) => w.dir === 'close');
    const sends = wire.filter((w) => w.dir === 'out' && w.frame.action === 'sendMessage').length;
    process.stderr.write(
      `flush: ${sends} sendMessage frames, ${refusals(wire).length} refused, ${closes.length} closes, ${reconnects} reconnects\n`,
    );
    expect(closes, 'sockets closed during the flush').toEqual([]);
    expect(floodCloses, 'FloodingSocketsClosed').toBe(0);
    expect(reconnects, 'reconnects during the flush').toBe(0);
    const refused = refusals(wire);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(SENDS_IN_FLIGHT);
    expect(refused.length).toBeLessThanOrEqual(FLOOD_REFUSALS_MAX);
    expect(new Set(sent.map((m) => m.clientMessageId)).size).toBe(CHATS * PER_CHAT);
    for (const [i, chatId] of chatIds.entries()) {
      const stored = await serverHistory(client, chatId);
      const expected = Array.from({ length: PER_CHAT }, (_, n) => text(i, n));
      expect(stored.map((m) => m.text)).toEqual(expected);
      expect(stored.map((m) => m.clientMessageId)).toEqual(
        sent.filter((m) => m.chatId === chatId).map((m) => m.clientMessageId),
      );
      expect(client.messages(chatId).map((m) => m.text)).toEqual(expected);
    }
  });

  it('sends no frame of a refused action before its retryAfterMs has passed', () => {
    const { wire } = done();
    const refused = refusals(wire);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      // The gate shuts as the refusal arrives; 5 ms for the clock's rounding.
      const early = wire.filter(
        (w) =>
          w.dir === 'out' && w.frame.action === r.action && w.at > r.at && w.at < r.at + r.retryAfterMs - 5,
      );
      expect(
        early.map((w) => w.at - r.at),
        `${r.action} frames sent ms after a refusal`,
      ).toEqual([]);
    }
  });

  it('holds only the refused action: others go out and are answered meanwhile', () => {
    const { others } = done();
    expect(others.ms).toBeLessThan(5000);
    expect(others.answeredAt).toBeLessThan(others.refusal.at + others.refusal.retryAfterMs);
    expect(others.sendsMeanwhile).toBe(0);
  });
});
