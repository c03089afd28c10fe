/**
 * The push pipeline for one big group whose members are all offline with one device each (issue
 * 15's groups of thousands): every message is one stream record; above PUSH_JOB_SIZE recipients the
 * push function queues them in jobs, and the push worker looks them up and sends the notifications
 * (lambdas/push/jobs.ts). Measured: the time from a
 * send to its last notification (messages one at a time, each waited for), the notifications, and
 * the DynamoDB units and calls the pipeline spent per message and per notification (booked to its
 * own scope by the meter). `bench/scale.ts` scales these to a group of 10,000.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChatStore } from '../../lambdas/data/store.ts';
import { PUSH_WORKER } from '../../lib/workers.ts';
import { BenchClient } from '../client.ts';
import { Latency, type LatencySummary } from '../histogram.ts';
import type { BenchStack } from '../stack.ts';
import { round } from './latency.ts';
import { benchToken, registerDevices, SCOPE } from './push.ts';

export interface BigGroupPushOptions {
  /** Members of the group: its owner (who sends, online) and `members - 1` offline with a device. */
  readonly members: number;
  /** Messages sent, one at a time. */
  readonly messages: number;
}

export interface BigGroupPushResults {
  readonly members: number;
  readonly offline: number;
  readonly messages: number;
  readonly pushes: number;
  readonly expected: number;
  /** A send → its last notification at the stand-ins. */
  readonly sendToLastPush: LatencySummary;
  /** Units the pipeline spent (undefined when nothing is metered). */
  readonly units:
    | {
        readonly perMessage: { readonly read: number; readonly write: number };
        readonly perPush: { readonly read: number; readonly write: number };
        /** Calls per message by command. */
        readonly callsPerMessage: Record<string, number>;
        /** The push function's and the push worker's time per message (ms, the handlers' own clocks). */
        readonly handlerMsPerMessage: number;
      }
    | undefined;
}

/** The push function's scope and the push worker's (above PUSH_JOB_SIZE recipients it plans the jobs). */
const SCOPES = [SCOPE, PUSH_WORKER.name];

export async function bigGroupPushPhase(
  stack: BenchStack,
  options: BigGroupPushOptions,
  onTick: (fraction: number, label: string) => void,
): Promise<BigGroupPushResults | undefined> {
  const pipeline = stack.pipeline;
  if (!pipeline || !stack.dynamoEndpoint || !stack.tableName || options.members < 2) return undefined;
  const run = randomBytes(3).toString('hex');
  const offline = Array.from({ length: options.members - 1 }, (_, i) => `pg${run}-${i}`);
  const tokens = new Set(offline.map(benchToken));

  onTick(0, `push, group of ${options.members}: seeding ${offline.length} devices`);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    await registerDevices(new ChatStore(doc, stack.tableName), offline);
  } finally {
    doc.destroy();
  }

  const owner = await BenchClient.connect(stack.url, `pg${run}-owner`);
  try {
    const created = await owner.ok('createChat', { kind: 'group', name: 'big push', memberIds: offline });
    const chatId = (created.chat as { chatId: string }).chatId;
    await pipeline.streams.drain();
    const received = () =>
      pipeline.push.notifications.filter((n) => n.status === 200 && tokens.has(n.token)).length;
    const before = stack.meter?.snapshot() ?? {};
    const latency = new Latency();
    for (let m = 0; m < options.messages; m++) {
      onTick(0.2 + (0.8 * m) / options.messages, `push, group of ${options.members}: message ${m + 1}`);
      const target = received() + offline.length;
      const started = performance.now();
      const reply = await owner.request('sendMessage', { chatId, text: `Hello all, message ${m + 1}.` });
      if (reply.type !== 'ack') throw new Error(`push, big group: send failed: ${JSON.stringify(reply)}`);
      while (received() < target && performance.now() - started < 120_000) {
        await new Promise((r) => setTimeout(r, 5));
      }
      latency.record(performance.now() - started);
    }
    await pipeline.streams.drain();
    await stack.idle(); // the push worker's last jobs, booked before the meter is read
    const pushes = received();
    const since = stack.meter?.since(before);
    const spent = SCOPES.flatMap((scope) => since?.[scope] ?? []);
    let read = 0;
    let write = 0;
    let totalMs = 0;
    const calls: Record<string, number> = {};
    for (const scope of spent) {
      totalMs += scope.totalMs;
      for (const [name, c] of Object.entries(scope.commands)) {
        read += c.read;
        write += c.write + c.estimatedWrite;
        const key = name.replace(/Command$/, '');
        calls[key] = (calls[key] ?? 0) + c.calls;
      }
    }
    const callsPerMessage = Object.fromEntries(
      Object.entries(calls).map(([name, n]) => [name, round(n / options.messages, 2)]),
    );
    return {
      members: options.members,
      offline: offline.length,
      messages: options.messages,
      pushes,
      expected: offline.length * options.messages,
      sendToLastPush: latency.summary(),
      units: since
        ? {
            perMessage: {
              read: round(read / options.messages, 2),
              write: round(write / options.messages, 2),
            },
            perPush: {
              read: round(read / Math.max(1, pushes), 3),
              write: round(write / Math.max(1, pushes), 3),
            },
            callsPerMessage,
            handlerMsPerMessage: round(totalMs / options.messages, 1),
          }
        : undefined,
    };
  } finally {
    owner.socket.close();
  }
}

/** The report's paragraph (under the push pipeline's tables). */
export function renderBigGroupPush(big: BigGroupPushResults): string {
  const u = big.units;
  const calls = Object.entries(u?.callsPerMessage ?? {})
    .map(([name, n]) => `${name}×${n}`)
    .join(', ');
  const seconds = (ms: number) => round(ms / 1000, 2);
  return (
    `A group of ${big.members}, ${big.offline} members offline with one device each, ${big.messages} ` +
    `messages one at a time: ${big.pushes}/${big.expected} notifications; a send → its last ` +
    `notification p50 ${seconds(big.sendToLastPush.p50)} s, max ${seconds(big.sendToLastPush.max)} s` +
    (u
      ? `; per message ${u.perMessage.read} read units (${calls}) and ${u.handlerMsPerMessage} ms of the ` +
        `push function and worker, per notification ${u.perPush.read} read units.`
      : '.')
  );
}
