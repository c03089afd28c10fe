/**
 * The scale section: what 1 million concurrent sockets and a 10,000-member group cost and need on
 * AWS, computed from this run's measured units (the cost phase) and AWS's published prices and
 * limits (docs/performance.md cites each one). Assumptions are parameters, printed with the result.
 */
import { MEMBER, ROSTER_ENTRY } from '../lambdas/data/items.ts';
import { MEMBER_LOG_FROM } from '../lambdas/data/member-log.ts';
import { SEND_CONCURRENCY } from '../lambdas/push/deliver.ts';
import { PLAN_CONCURRENCY } from '../lambdas/push/plan.ts';
import { loadConfig } from '../lambdas/shared/config.ts';
import { FANOUT_WORKER, PUSH_WORKER } from '../lib/workers.ts';
import { itemSize } from './meter.ts';
import { PRICES } from './pricing.ts';
import type { ActionCost } from './scenarios/cost.ts';
import { BIG_GROUP } from './scenarios/cost-big-group.ts';
import type { BigGroupPushResults } from './scenarios/push-big.ts';

/** AWS limits used (defaults; the adjustable ones can be raised through Service Quotas). */
export const AWS_LIMITS = {
  /** API Gateway: new WebSocket connections per second per account and Region (adjustable). */
  newConnectionsPerSecond: 500,
  /** API Gateway: requests per second per account and Region, WebSocket callback APIs included (adjustable). */
  accountRps: 10_000,
  /** API Gateway: a WebSocket connection lives at most 2 hours. */
  connectionHours: 2,
  /** DynamoDB: one partition serves at most 3,000 read units and 1,000 write units per second. */
  partitionRcu: 3_000,
  partitionWcu: 1_000,
  /** DynamoDB on demand: a table's default maximum read throughput (units per second, adjustable). */
  tableRcu: 40_000,
  /** DynamoDB on demand: a table's default maximum write throughput (units per second, adjustable). */
  tableWcu: 40_000,
  /** DynamoDB: a Query returns at most 1 MB per page; reads are billed per 4 KB (strongly consistent: 1 unit). */
  queryPageBytes: 1024 * 1024,
  /** Lambda SQS event source: starts with 5 concurrent batches, adds up to 300 per minute, at most 1,000. */
  esmStartBatches: 5,
} as const;

export const SCALE_ASSUMPTIONS = {
  sockets: 1_000_000,
  /** Average socket lifetime (a mobile session; API Gateway's hard limit is 2 h). */
  socketMinutes: 30,
  /** Groups per user. */
  groupsPerUser: 10,
  bigGroupMembers: 10_000,
  /** Share of the big group's members with an open socket. */
  bigGroupOnline: 0.2,
  /** Management API round trip in-region (ms) and the worker's posts in flight × instances. */
  postMs: 30,
  workerInFlight: (FANOUT_WORKER.postConcurrency ?? 16) * FANOUT_WORKER.maxConcurrency,
  /** Share of the big group's offline members with a device and not muted (1: the upper bound). */
  bigGroupPushed: 1,
  /** In-region DynamoDB call and APNs/FCM request (ms), for the push worker's time. */
  dynamoMs: 5,
  pushMs: 30,
  /** Typical ids: userId 20 characters, connectionId 16 (API Gateway's), chatId 26 (ours). */
  sampleUserId: 'u-0123456789abcdefgh',
  sampleConnectionId: 'L0SM9cOFvHcCIhw=',
  sampleChatId: 'c_0123456789abcdefghijklm',
} as const;

export interface ScaleRow {
  readonly scenario: string;
  readonly item: string;
  readonly value: string;
  readonly basis: string;
}

const money = (n: number) =>
  `$${n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 0.1 ? n.toFixed(2) : n.toPrecision(2)}`;
const num = (n: number) => Math.round(n).toLocaleString('en-US');
const MONTH_S = 30 * 24 * 3600;

/** The scale rows; `fresh` is the cost phase's fresh round. */
export function scaleModel(fresh: readonly ActionCost[], bigPush?: BigGroupPushResults): ScaleRow[] {
  const a = SCALE_ASSUMPTIONS;
  const find = (prefix: string) => fresh.find((c) => c.label.startsWith(prefix));
  const connect0 = find('$connect (+ authorizer)');
  const connectK = find('$connect (member of');
  const disconnectK = find('$disconnect (member of');
  const queued = fresh.find((c) => c.label.includes('queued'));
  const groupsK = Number(/member of (\d+)/.exec(disconnectK?.label ?? '')?.[1] ?? 0);
  // Per roster entry written: the measured `$connect` also lists recently joined groups.
  const rostersK = Number(/listed in (\d+)/.exec(connectK?.label ?? '')?.[1] ?? groupsK);
  const perGroupWrite =
    connectK && connect0 && rostersK > 0 ? (connectK.write - connect0.write) / rostersK : 1;
  const connectUnits = (connect0?.total ?? 3) + perGroupWrite * a.groupsPerUser;
  const disconnectUnits = (disconnectK?.total ?? 3) + perGroupWrite * Math.max(0, a.groupsPerUser - groupsK);

  const rows: ScaleRow[] = [];
  const add = (scenario: string, item: string, value: string, basis: string) =>
    rows.push({ scenario, item, value, basis });

  // 1 million concurrent sockets.
  const s = '1M sockets';
  const connectsPerSecond = a.sockets / (a.socketMinutes * 60);
  add(
    s,
    'connection minutes',
    `${money((a.sockets * MONTH_S * PRICES.apiGatewayConnectionMinutesPerMillion) / 60e6)} / month`,
    `${num(a.sockets)} sockets × 43,200 min × $${PRICES.apiGatewayConnectionMinutesPerMillion}/M`,
  );
  add(
    s,
    'new connections',
    `${num(connectsPerSecond)}/s (quota ${AWS_LIMITS.newConnectionsPerSecond}/s)`,
    `sockets live ${a.socketMinutes} min on average (≥ ${num(a.sockets / (AWS_LIMITS.connectionHours * 3600))}/s at the 2 h limit); all 1M reconnecting after an outage take ${num(a.sockets / AWS_LIMITS.newConnectionsPerSecond / 60)} min at the default quota: raise it`,
  );
  add(
    s,
    'DynamoDB per connect + disconnect',
    `${(connectUnits + disconnectUnits).toFixed(1)} units`,
    `measured: $connect ${connect0?.total ?? '?'} units in no group, +${perGroupWrite.toFixed(2)} write unit per group (its roster entry; measured with ${rostersK} roster entries); ${a.groupsPerUser} groups per user; $disconnect likewise`,
  );
  const connectDollars =
    (connectsPerSecond * MONTH_S * (connectUnits + disconnectUnits) * PRICES.dynamoWritePerMillion) / 1e6;
  add(
    s,
    'DynamoDB for connection churn',
    `${money(connectDollars)} / month`,
    `${num(connectsPerSecond)} connects/s, every unit priced as a write (upper bound)`,
  );
  const lambdaPerConnect =
    3 *
    (PRICES.lambdaRequestsPerMillion / 1e6 +
      (50 / 1000) * (PRICES.lambdaMemoryMb / 1024) * PRICES.lambdaGbSecond);
  add(
    s,
    'Lambda for connection churn',
    `${money(connectsPerSecond * MONTH_S * lambdaPerConnect)} / month`,
    'authorizer + $connect + $disconnect, 50 ms each at 256 MB',
  );
  const rosterBytes = itemSize(
    ROSTER_ENTRY.toItem({
      chatId: a.sampleChatId,
      userId: a.sampleUserId,
      connectionId: a.sampleConnectionId,
      expiresAt: 1_800_000_000,
    }),
  );
  add(
    s,
    'roster storage',
    `${((a.sockets * a.groupsPerUser * rosterBytes) / 1e9).toFixed(2)} GB (${money(((a.sockets * a.groupsPerUser * rosterBytes) / 1e9) * 0.25)} / month)`,
    `${rosterBytes} B per entry (+100 B index overhead not applicable: no index), $0.25/GB-month`,
  );
  add(
    s,
    'Management API',
    `${num(AWS_LIMITS.accountRps)} requests/s per account`,
    'shared by inbound frames and every post (callbacks count): e.g. 600 msg/s into groups with 5 online sockets each ≈ 3,600 requests/s',
  );

  // A 10,000-member group.
  const g = '10,000-member group';
  const online = a.bigGroupMembers * a.bigGroupOnline;
  const memberBytes = itemSize(
    MEMBER.toItem({
      chatId: a.sampleChatId,
      userId: a.sampleUserId,
      role: 'member',
      lastReadSeq: 12345,
      lastDeliveredSeq: 12345,
      joinedAt: '2026-01-01T00:00:00.000Z',
      kind: 'group',
    }),
  );
  const rosterRcu = Math.ceil((online * rosterBytes) / 4096);
  const headRcu = Math.ceil((a.bigGroupMembers * memberBytes) / 4096) / 2;
  const jobs = Math.ceil(online / 200);
  add(
    g,
    'sockets per message',
    `${num(online)} (${a.bigGroupOnline * 100} % online)`,
    'the roster lists open sockets only: its cost follows them, not the member count',
  );
  add(
    g,
    'roster read per message',
    `${rosterRcu} RCU (consistent, ${Math.round((online * rosterBytes) / 1024)} KB)`,
    `${rosterBytes} B per entry, 1 unit per 4 KB: ${Math.floor(AWS_LIMITS.partitionRcu / rosterRcu)} msg/s before the ROSTER# partition's 3,000 RCU/s`,
  );
  add(
    g,
    'member list read per message',
    `${headRcu} RCU (${Math.round((a.bigGroupMembers * memberBytes) / 1024)} KB, ${Math.ceil((a.bigGroupMembers * memberBytes) / AWS_LIMITS.queryPageBytes)} Query pages)`,
    `${memberBytes} B per membership, eventually consistent: the push function reads it for every message (who is muted, who has read), the send path only when its container holds no head of the chat: ${Math.floor(AWS_LIMITS.partitionRcu / headRcu)} msg/s on the CHAT# partition`,
  );
  const afterLeave = (how: string) =>
    fresh.find((c) => c.label.startsWith('sendMessage after a member left') && c.label.includes(how));
  const [logged, reread] = [afterLeave('the member log'), afterLeave('read again')];
  add(
    g,
    'membership change (a join or a leave)',
    `1 RCU per sending container (the member log), not ${2 * headRcu} RCU`,
    `each change of a group of ${MEMBER_LOG_FROM} or more writes one member-log entry (2 WCU a KB, transactional) beside moving memberVer; each container that sends next replays the entries since its version (one strongly consistent Query, under 4 KB for a change) instead of reading the member list again strongly consistent; measured in the group of ${num(BIG_GROUP)}, the send after a leave: ${logged && reread ? `${logged.total} units with the log, ${reread.total} with the list read again` : 'n/a'}`,
  );
  add(
    g,
    'fan-out per message',
    `${jobs} jobs, ${num(online)} posts: ${(online / ((a.workerInFlight * 1000) / a.postMs)).toFixed(2)} s`,
    `jobs of 200 sockets; ${a.workerInFlight} posts in flight (${FANOUT_WORKER.maxConcurrency} workers × ${FANOUT_WORKER.postConcurrency}) at ~${a.postMs} ms; cold: the event source starts at ${AWS_LIMITS.esmStartBatches} batches`,
  );
  add(
    g,
    'sustained rate',
    `${(AWS_LIMITS.accountRps / online).toFixed(1)} msg/s`,
    `every post is a Management API request: ${num(AWS_LIMITS.accountRps)}/s per account (raise the quota, and FanOutWorker's concurrency with it)`,
  );
  const push = pushRows(add, g, headRcu, bigPush);
  const perMessage =
    push.dollars +
    (online * PRICES.apiGatewayMessagesPerMillion) / 1e6 +
    ((rosterRcu + headRcu) * PRICES.dynamoReadPerMillion) / 1e6 +
    (10 * PRICES.dynamoWritePerMillion) / 1e6 +
    (jobs * PRICES.sqsRequestsPerJob * PRICES.sqsPerMillion) / 1e6 +
    (1 + jobs) *
      (PRICES.lambdaRequestsPerMillion / 1e6 + 0.3 * (PRICES.lambdaMemoryMb / 1024) * PRICES.lambdaGbSecond);
  add(
    g,
    'cost per message',
    `${money(perMessage)} (${money(perMessage * 1e6)} per million)`,
    `posts ${money((online * PRICES.apiGatewayMessagesPerMillion) / 1e6)}, notifications ${money(push.dollars)}; measured queued send here: ${queued ? `${queued.total} units, ${queued.jobs ?? 0} jobs for ${queued.posts} posts` : 'n/a'}`,
  );
  return rows;
}

/**
 * The push pipeline's part of a big group's message (its offline members' notifications), from the
 * measured group of offline members (scenarios/push-big.ts); its dollars per message (0 unmeasured).
 */
function pushRows(
  add: (scenario: string, item: string, value: string, basis: string) => void,
  g: string,
  headRcu: number,
  bigPush: BigGroupPushResults | undefined,
): { dollars: number } {
  const a = SCALE_ASSUMPTIONS;
  const perPush = bigPush?.units?.perPush.read;
  if (!bigPush || perPush === undefined) return { dollars: 0 };
  const pushed = Math.round(a.bigGroupMembers * (1 - a.bigGroupOnline) * a.bigGroupPushed);
  // Each recipient: the measured reads (their sockets and devices, their devices again), whatever the
  // number of chats they are in, and the badge counter's UpdateItem (1 write unit: docs/push.md,
  // "Badge"; a run made before the counter measured no write a notification, and the membership
  // index Query the badge then made, 0.5 unit: an upper bound).
  const units = headRcu + pushed * perPush;
  const writes = pushed * Math.max(bigPush.units?.perPush.write ?? 0, 1);
  // The push function queues jobs of PUSH_JOB_SIZE; a job's lookups (sockets and devices, devices
  // again, the badge counter) run PLAN_CONCURRENCY at once, then its sends SEND_CONCURRENCY at once.
  const jobSize = loadConfig({}).pushJobSize;
  const jobs = Math.ceil(pushed / jobSize);
  const jobSeconds =
    (jobSize * 3 * a.dynamoMs) / PLAN_CONCURRENCY / 1000 + (jobSize * a.pushMs) / SEND_CONCURRENCY / 1000;
  const workers = PUSH_WORKER.maxConcurrency;
  const messageSeconds = Math.ceil(jobs / workers) * jobSeconds;
  const lambda =
    jobs *
    (jobSeconds * (PRICES.lambdaMemoryMb / 1024) * PRICES.lambdaGbSecond +
      PRICES.lambdaRequestsPerMillion / 1e6);
  const sqs = (Math.ceil(jobs / 10) * 2 * PRICES.sqsPerMillion) / 1e6;
  const dollars =
    (units * PRICES.dynamoReadPerMillion + writes * PRICES.dynamoWritePerMillion) / 1e6 + lambda + sqs;
  add(
    g,
    'notifications per message',
    `${num(pushed)}: ${num(units)} RCU + ${num(writes)} WCU, ${money(dollars)}`,
    `offline members, all with a device and none muted (upper bound); measured ${perPush} read units a notification in a group of ${bigPush.members}, whatever the number of chats the recipient is in, and 1 write unit for their badge counter; the member list (${headRcu} RCU)`,
  );
  add(
    g,
    'push worker per message',
    `${jobs} jobs of ${jobSize}: ${messageSeconds.toFixed(1)} s (a job ${jobSeconds.toFixed(2)} s, timeout ${PUSH_WORKER.timeoutSeconds} s)`,
    `the push function queues the recipients (PUSH_JOB_SIZE); ${workers} workers; a job's 3 lookups a recipient at ~${a.dynamoMs} ms, ${PLAN_CONCURRENCY} at once, then its sends at ~${a.pushMs} ms, ${SEND_CONCURRENCY} at once (measured here: ${bigPush.units?.handlerMsPerMessage ?? '?'} ms of the function and worker for ${bigPush.offline} with local stand-ins)`,
  );
  const byWorkers = workers / (jobs * jobSeconds);
  const byTable = Math.min(AWS_LIMITS.tableRcu / units, AWS_LIMITS.tableWcu / writes);
  add(
    g,
    'push ceiling',
    `${(Math.min(byWorkers, byTable) * 60).toFixed(0)} msg/min per group`,
    `the lower of the workers' (${(byWorkers * 60).toFixed(0)}/min at ${workers} instances: raise maxConcurrency, up to 1,000) and the table's ${num(AWS_LIMITS.tableRcu)} read and ${num(AWS_LIMITS.tableWcu)} write units a second (on-demand defaults, adjustable: ${(byTable * 60).toFixed(0)}/min)`,
  );
  return { dollars };
}
