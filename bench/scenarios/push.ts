/**
 * The push pipeline (stream poller → push Lambda → APNs/FCM stand-ins), measured in the same run:
 *
 * 1. sendMessage latency with the pipeline off and on (A/B halves, same 1:1 chats and rate, after an
 *    unmeasured warm-up; rounds alternate which half goes first): the poller is paused for the "off"
 *    halves (their records are processed after, before the next half starts). Everyone is
 *    online here, so the pipeline reads (members, sockets) but sends nothing: this is its cost on the
 *    sender's path, which must not grow.
 * 2. A burst to groups whose members are offline with one device each: pushes per second the pipeline
 *    sustains, and the time from the sender's ack to the stand-in receiving each notification.
 * 3. DynamoDB units the pipeline spends (booked to its own scope by the meter): per message when
 *    everyone is online, and per message and per notification in the burst.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChatStore } from '../../lambdas/data/store.ts';
import { newDevice } from '../../lambdas/domain/devices.ts';
import type { BenchClient } from '../client.ts';
import { Latency, type LatencySummary } from '../histogram.ts';
import { messageText } from '../load.ts';
import type { ActionStats, MeterSnapshot } from '../meter.ts';
import type { BenchStack } from '../stack.ts';
import type { World } from '../world.ts';
import { round } from './latency.ts';

export interface PushOptions {
  /** A/B rounds (each: one half off, one half on) and seconds per half. */
  readonly rounds: number;
  readonly halfSeconds: number;
  /** 1:1 messages per second during the A/B. */
  readonly rate: number;
  readonly textChars: number;
  /** Burst: groups, offline members (one device each) per group, messages per group. */
  readonly groups: number;
  readonly offlinePerGroup: number;
  readonly messagesPerGroup: number;
}

export interface PushUnits {
  readonly read: number;
  readonly write: number;
  readonly total: number;
}

export interface PushResults {
  readonly sendLatency: {
    readonly rounds: number;
    readonly halfSeconds: number;
    readonly rate: number;
    /** sendMessage, sender's frame → ack, with the poller paused. */
    readonly off: LatencySummary;
    /** The same with the pipeline processing every message. */
    readonly on: LatencySummary;
    /** on vs off, in percent (positive: slower with the pipeline). */
    readonly p50ChangePct: number;
    readonly p99ChangePct: number;
  };
  readonly burst: {
    readonly groups: number;
    readonly offlinePerGroup: number;
    readonly messages: number;
    readonly pushes: number;
    readonly expected: number;
    readonly seconds: number;
    readonly pushesPerSecond: number;
    /** The sender's ack → the stand-in received the notification. */
    readonly ackToPush: LatencySummary;
    readonly sendAck: LatencySummary;
  };
  /** Units the pipeline spent (undefined when the handlers run elsewhere). */
  readonly units:
    | {
        /** Per 1:1 message with both users online (no push sent). */
        readonly perMessageOnline: PushUnits;
        /** Per group message with `offlinePerGroup` offline recipients. */
        readonly perMessageBurst: PushUnits;
        /** Per notification sent in the burst. */
        readonly perPush: PushUnits;
        readonly commands: Record<string, { calls: number; read: number; write: number }>;
      }
    | undefined;
}

/** The push function's scope in the meter (its calls for the IAM check too). */
export const SCOPE = 'stream:Push';
const SEED_CONCURRENCY = 50;

/** The device token of a bench user. */
export const benchToken = (userId: string): string => `bench-${userId}`;

/** Registers one device for each user (APNs and FCM alternately, token `bench-<userId>`), 50 at a time. */
export async function registerDevices(store: ChatStore, userIds: readonly string[]): Promise<void> {
  for (let i = 0; i < userIds.length; i += SEED_CONCURRENCY) {
    await Promise.all(
      userIds.slice(i, i + SEED_CONCURRENCY).map(async (userId, j) => {
        const platform = j % 2 ? ('fcm' as const) : ('apns' as const);
        const device = newDevice(userId, { platform, token: benchToken(userId) }, new Date());
        if ((await store.devices.register({ device, count: 0 })) !== 'registered') {
          throw new Error(`push: could not register a device for ${userId}`);
        }
      }),
    );
  }
}

const pct = (on: number, off: number) => (off > 0 ? round(((on - off) / off) * 100, 1) : 0);

function unitsOf(stats: ActionStats | undefined, per: number): PushUnits {
  let read = 0;
  let write = 0;
  for (const c of Object.values(stats?.commands ?? {})) {
    read += c.read;
    write += c.write + c.estimatedWrite;
  }
  const d = Math.max(per, 1);
  return { read: round(read / d, 3), write: round(write / d, 3), total: round((read + write) / d, 3) };
}

/** Sends 1:1 messages at `rate` for `seconds`; records the sender's ack latency. */
async function sendAtRate(world: World, rate: number, seconds: number, text: string, into: Latency) {
  const chats = world.chats.direct;
  const total = Math.max(1, Math.round(rate * seconds));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < total; sent++) {
    const due = started + (sent / rate) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const chat = chats[sent % chats.length];
    if (!chat) break;
    const sender = world.clients[chat.members[sent % 2] as number] as BenchClient;
    let writtenAt = 0;
    inFlight.push(
      sender
        .request(
          'sendMessage',
          { chatId: chat.chatId, text, clientMessageId: `ab-${randomBytes(6).toString('hex')}` },
          { onWrite: () => (writtenAt = performance.now()) },
        )
        .then((reply) => {
          if (reply.type === 'ack') into.record(performance.now() - writtenAt);
        }),
    );
  }
  await Promise.all(inFlight);
  return total;
}

const messageIdOf = (payload: unknown): string | undefined => {
  const p = payload as { messageId?: string; message?: { data?: { messageId?: string } } };
  return p.messageId ?? p.message?.data?.messageId;
};

export async function pushPhase(
  stack: BenchStack,
  world: World,
  options: PushOptions,
  onTick: (fraction: number, label: string) => void,
): Promise<PushResults | undefined> {
  const pipeline = stack.pipeline;
  if (!pipeline || !stack.dynamoEndpoint || !stack.tableName) return undefined;
  const text = messageText(options.textChars);
  const snapshot = (): MeterSnapshot => stack.meter?.snapshot() ?? {};

  // 1. sendMessage latency, pipeline off / on.
  const off = new Latency();
  const on = new Latency();
  let abMessages = 0;
  // Unmeasured warm-up, then rounds that alternate which half goes first (drift cancels out).
  await sendAtRate(world, options.rate, Math.min(options.halfSeconds, 3), text, new Latency());
  await pipeline.streams.drain();
  const beforeOnline = snapshot();
  const half = async (running: boolean) => {
    if (!running) pipeline.streams.pause();
    abMessages += await sendAtRate(world, options.rate, options.halfSeconds, text, running ? on : off);
    pipeline.streams.resume();
    await pipeline.streams.drain();
  };
  for (let round = 0; round < options.rounds; round++) {
    const label = `push: sendMessage with the pipeline off/on, round ${round + 1}/${options.rounds}`;
    onTick((round / options.rounds) * 0.5, label);
    await half(round % 2 === 1);
    onTick(((round + 0.5) / options.rounds) * 0.5, label);
    await half(round % 2 === 0);
  }
  // The paused halves' messages were processed too (after resume): count every message since.
  const online = stack.meter?.since(beforeOnline)[SCOPE];
  const perMessageOnline = unitsOf(online, abMessages);

  // 2. The burst: groups of offline members with one device each.
  onTick(0.5, 'push: seeding offline members with devices');
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const store = new ChatStore(doc, stack.tableName);
  const run = randomBytes(3).toString('hex');
  const groups: { chatId: string; owner: BenchClient }[] = [];
  const tokens = new Set<string>();
  for (let g = 0; g < options.groups; g++) {
    const owner = world.clients[g % world.clients.length] as BenchClient;
    const members = Array.from({ length: options.offlinePerGroup }, (_, i) => `p${run}-${g}-${i}`);
    for (const userId of members) tokens.add(benchToken(userId));
    await registerDevices(store, members);
    const reply = await owner.ok('createChat', { kind: 'group', name: `push ${g}`, memberIds: members });
    groups.push({ chatId: (reply.chat as { chatId: string }).chatId, owner });
  }
  doc.destroy();
  await pipeline.streams.drain();

  onTick(0.6, 'push: burst');
  const expected = options.groups * options.messagesPerGroup * options.offlinePerGroup;
  const ackedAt = new Map<string, number>();
  const sendAck = new Latency();
  const beforeBurst = snapshot();
  const startedWall = Date.now();
  const started = performance.now();
  const jobs = groups.flatMap((g) => Array.from({ length: options.messagesPerGroup }, () => g));
  let next = 0;
  const sender = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number];
      const t0 = performance.now();
      const reply = await job.owner.request('sendMessage', { chatId: job.chatId, text });
      if (reply.type !== 'ack') continue;
      sendAck.record(performance.now() - t0);
      ackedAt.set((reply.message as { messageId: string }).messageId, Date.now());
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  const received = () => pipeline.push.notifications.filter((n) => n.status === 200 && tokens.has(n.token));
  const deadline = performance.now() + 120_000;
  while (received().length < expected && performance.now() < deadline) {
    onTick(
      0.6 + 0.4 * (received().length / expected),
      `push: ${received().length}/${expected} notifications`,
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  await pipeline.streams.drain();
  const pushes = received();
  const lastAt = Math.max(startedWall, ...pushes.map((p) => Date.parse(p.sentAt)));
  const seconds = (lastAt - startedWall) / 1000 || (performance.now() - started) / 1000;
  const ackToPush = new Latency();
  for (const p of pushes) {
    const acked = ackedAt.get(messageIdOf(p.payload) ?? '');
    if (acked !== undefined) ackToPush.record(Math.max(0, Date.parse(p.sentAt) - acked));
  }
  const burst = stack.meter?.since(beforeBurst)[SCOPE];

  return {
    sendLatency: {
      rounds: options.rounds,
      halfSeconds: options.halfSeconds,
      rate: options.rate,
      off: off.summary(),
      on: on.summary(),
      p50ChangePct: pct(on.summary().p50, off.summary().p50),
      p99ChangePct: pct(on.summary().p99, off.summary().p99),
    },
    burst: {
      groups: options.groups,
      offlinePerGroup: options.offlinePerGroup,
      messages: jobs.length,
      pushes: pushes.length,
      expected,
      seconds: round(seconds),
      pushesPerSecond: round(pushes.length / Math.max(seconds, 1e-3), 1),
      ackToPush: ackToPush.summary(),
      sendAck: sendAck.summary(),
    },
    units: stack.meter
      ? {
          perMessageOnline,
          perMessageBurst: unitsOf(burst, jobs.length),
          perPush: unitsOf(burst, pushes.length),
          commands: Object.fromEntries(
            Object.entries(burst?.commands ?? {}).map(([k, c]) => [
              k,
              { calls: c.calls, read: round(c.read, 2), write: round(c.write + c.estimatedWrite, 2) },
            ]),
          ),
        }
      : undefined,
  };
}
