/**
 * `npm run bench:scheduled [-- --messages N --chats C --lead S | --quick]`: a burst of scheduled
 * messages all due at the same second, through the whole local path (scheduleMessage → due index →
 * sweep → due queue with timers → dispatcher → sendMessage → recipients' sockets), metered.
 *
 * The messages are scheduled an hour ahead through `scheduleMessage` (measured on its own), then all
 * moved to the same send time, `lead` seconds ahead, in the table (send time and due-index key), so
 * the burst does not depend on how fast this machine schedules. The sweep horizon is shortened (10 s,
 * a sweep every 5 s), so they go out through the sweep, as on AWS anything due more than two minutes
 * after it was scheduled does. Prints how late they went out and arrived, how fast the burst drained, and
 * the DynamoDB units, queue messages and invocations per scheduled message; writes the figures to
 * bench/results/scheduled-latest.json. Exits 1 if any message is missing or duplicated.
 */
import './env.ts';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setStore } from '../lambdas/data/store.ts';
import { setDeps } from '../lambdas/domain/deps.ts';
import { setScheduledDeps } from '../lambdas/domain/scheduled-deps.ts';
import { setClients } from '../lambdas/shared/clients.ts';
import { resetConfig } from '../lambdas/shared/config.ts';
import { SCHEDULED_FUNCTIONS, SCHEDULED_HORIZON_ENV } from '../lib/scheduled-functions.ts';
import { startLocalStack } from '../local/stack.ts';
import { type BenchClient, connectAll } from './client.ts';
import { Latency } from './histogram.ts';
import { type ActionStats, Meter, type MeterSnapshot } from './meter.ts';
import { PRICES } from './pricing.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    messages: { type: 'string' },
    chats: { type: 'string' },
    lead: { type: 'string' },
    results: { type: 'string' },
  },
});
const quick = Boolean(values.quick);
const MESSAGES = Number(values.messages ?? (quick ? 200 : 1000));
const CHATS = Number(values.chats ?? (quick ? 20 : 50));
const LEAD_S = Number(values.lead ?? 20);
const HORIZON_S = 10;
const SWEEP_MS = 5000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function units(stats: ActionStats | undefined) {
  let read = 0;
  let write = 0;
  for (const c of Object.values(stats?.commands ?? {})) {
    read += c.read;
    write += c.write + c.estimatedWrite;
  }
  return {
    read,
    write,
    invocations: stats?.invocations ?? 0,
    ms: stats?.totalMs ?? 0,
    posts: stats?.posts ?? 0,
  };
}

function perMessage(snapshot: MeterSnapshot, scope: string) {
  const u = units(snapshot[scope]);
  const commands = Object.fromEntries(
    Object.entries(snapshot[scope]?.commands ?? {}).map(([name, c]) => [
      name,
      {
        calls: round(c.calls / MESSAGES),
        read: round(c.read / MESSAGES),
        write: round((c.write + c.estimatedWrite) / MESSAGES),
      },
    ]),
  );
  return {
    commands,
    read: round(u.read / MESSAGES),
    write: round(u.write / MESSAGES),
    invocations: round(u.invocations / MESSAGES, 3),
    posts: round(u.posts / MESSAGES, 2),
    meanMs: u.invocations ? round(u.ms / u.invocations, 1) : 0,
  };
}

/** Moves scheduled items to `sendAt` (item and due-index key), outside the meter. */
async function retime(
  endpoint: string,
  tableName: string,
  items: readonly { userId: string; scheduledId: string }[],
  sendAt: string,
): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < items.length) {
        const item = items[next++] as (typeof items)[number];
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `USER#${item.userId}`, sk: `SCHED#${item.scheduledId}` },
            UpdateExpression: 'SET sendAt = :at, gsi2sk = :at',
            ExpressionAttributeValues: { ':at': sendAt },
          }),
        );
      }
    }),
  );
  doc.destroy();
}

async function main(): Promise<number> {
  const loadStart = loadavg().map((n) => round(n));
  const meter = new Meter();
  meter.exactTransactions = true;
  const stack = await startLocalStack({
    port: 0,
    tableName: `bench-sched-${randomBytes(4).toString('hex')}`,
    sweepIntervalMs: SWEEP_MS,
    env: { [SCHEDULED_HORIZON_ENV]: String(HORIZON_S) },
    wrapLoader: (name, load) => meter.wrapLoader(name, load),
  });
  resetConfig();
  setClients({
    documentClient: meter.documentClient(stack.dynamoEndpoint),
    managementClient: meter.managementClient(stack.managementEndpoint),
    sqsSender: undefined,
  });
  setStore(undefined);
  setDeps(undefined);
  setScheduledDeps(undefined);
  const clients: BenchClient[] = [];
  try {
    const run = randomBytes(3).toString('hex');
    log(`connecting ${CHATS * 2} users…`);
    const ids = Array.from({ length: CHATS * 2 }, (_, i) => `sb${run}-${i}`);
    clients.push(...(await connectAll(stack.url, ids)));
    const pairs: { author: BenchClient; recipient: BenchClient; chatId: string }[] = [];
    for (let i = 0; i < CHATS; i++) {
      const author = clients[2 * i] as BenchClient;
      const recipient = clients[2 * i + 1] as BenchClient;
      const ack = await author.ok('createChat', { kind: 'direct', userId: recipient.userId });
      pairs.push({ author, recipient, chatId: (ack.chat as { chatId: string }).chatId });
    }
    const arrivals = new Map<string, { at: number; createdAt: string }[]>();
    const origin = Date.now() - performance.now();
    for (const { recipient } of pairs) {
      recipient.onEvent((frame, receivedAt) => {
        if (frame.type !== 'message.created') return;
        const m = frame.message as { text: string; createdAt: string };
        const list = arrivals.get(m.text) ?? [];
        list.push({ at: origin + receivedAt, createdAt: m.createdAt });
        arrivals.set(m.text, list);
      });
    }

    const laterAt = new Date(Date.now() + 3600_000).toISOString();
    log(`scheduling ${MESSAGES} messages in ${CHATS} chats…`);
    const beforeSchedule = meter.snapshot();
    const scheduleLatency = new Latency();
    let next = 0;
    const scheduleStart = performance.now();
    const made: { userId: string; scheduledId: string }[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < MESSAGES) {
          const i = next++;
          const pair = pairs[i % CHATS] as (typeof pairs)[number];
          const t0 = performance.now();
          const ack = await pair.author.ok('scheduleMessage', {
            chatId: pair.chatId,
            text: `burst ${i}`,
            sendAt: laterAt,
          });
          scheduleLatency.record(performance.now() - t0);
          const { scheduledId } = ack.scheduled as { scheduledId: string };
          made.push({ userId: pair.author.userId, scheduledId });
        }
      }),
    );
    const scheduleSeconds = (performance.now() - scheduleStart) / 1000;
    const scheduling = meter.since(beforeSchedule);

    const sendAt = new Date(Math.ceil((Date.now() + LEAD_S * 1000) / 1000) * 1000).toISOString();
    log(`moving all ${MESSAGES} to ${sendAt}…`);
    await retime(stack.dynamoEndpoint, stack.tableName, made, sendAt);
    if (Date.now() >= Date.parse(sendAt) - HORIZON_S * 1000)
      log('warning: retiming took longer than lead − horizon');

    const beforeBurst = meter.snapshot();
    const queueBefore = { ...stack.scheduler.queue.stats };
    const deadline = Date.parse(sendAt) + 180_000;
    while (arrivals.size < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 2000));
    // Whatever is still in flight (copies of sent messages) is counted if it finishes soon.
    await Promise.race([stack.scheduler.idle(), new Promise((r) => setTimeout(r, 15_000))]);
    const burst = meter.since(beforeBurst);

    const due = Date.parse(sendAt);
    const sentLag = new Latency();
    const arrivalLag = new Latency();
    let early = 0;
    let duplicated = 0;
    let last = due;
    for (const list of arrivals.values()) {
      if (list.length > 1) duplicated += list.length - 1;
      const first = list[0];
      if (!first) continue;
      const lag = Date.parse(first.createdAt) - due;
      if (lag < 0) early++;
      sentLag.record(Math.max(0, lag));
      arrivalLag.record(Math.max(0, first.at - due));
      last = Math.max(last, first.at);
    }
    const missing = MESSAGES - arrivals.size;
    const drainedSeconds = (last - due) / 1000;
    const queue = stack.scheduler.queue.stats;
    const results = {
      version: 1,
      at: new Date().toISOString(),
      messages: MESSAGES,
      chats: CHATS,
      loadAverage: { start: loadStart, end: loadavg().map((n) => round(n)) },
      horizonSeconds: HORIZON_S,
      sweepEverySeconds: SWEEP_MS / 1000,
      scheduling: {
        seconds: round(scheduleSeconds),
        perSecond: round(MESSAGES / scheduleSeconds, 1),
        ackMs: scheduleLatency.summary(),
        perMessage: perMessage(scheduling, 'scheduleMessage'),
      },
      burst: {
        drainedSeconds: round(drainedSeconds),
        perSecond: round(arrivals.size / Math.max(0.001, drainedSeconds), 1),
        sentLagMs: sentLag.summary(),
        arrivalLagMs: arrivalLag.summary(),
        early,
        missing,
        duplicated,
        queueMessagesPerMessage: round((queue.sent - queueBefore.sent) / MESSAGES, 2),
        sweeper: perMessage(burst, SCHEDULED_FUNCTIONS.sweeper.name),
        dispatcher: perMessage(burst, SCHEDULED_FUNCTIONS.dispatcher.name),
      },
      prices: PRICES,
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    const dir = values.results ?? 'bench/results';
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'scheduled-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(
      `${arrivals.size}/${MESSAGES} arrived (missing ${missing}, duplicated ${duplicated}, early ${early}); ` +
        `drained ${round(drainedSeconds)} s after sendAt; sent lag p50 ${results.burst.sentLagMs.p50} ms, ` +
        `p99 ${results.burst.sentLagMs.p99} ms, max ${results.burst.sentLagMs.max} ms`,
    );
    return missing + duplicated + early === 0 ? 0 : 1;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
