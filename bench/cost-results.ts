/**
 * The cost phase's results as bench/run.ts reports them: the measured rounds (fresh and seeded
 * table), each priced case per million messages with the assumptions behind it, and the notes on
 * how the units were counted.
 */
import { costPerMillion, PRICES } from './pricing.ts';
import type { CostResults } from './results.ts';
import { BIG_GROUP } from './scenarios/cost-big-group.ts';
import { COST_CASES } from './scenarios/cost-cases.ts';

export function costResults(
  fresh: CostResults['fresh'],
  seeded: CostResults['seeded'],
  seededChats: number,
  groupSize: number,
): CostResults {
  const perMillionMessages: CostResults['perMillionMessages'] = {};
  const priced: [string, string][] = COST_CASES.flatMap((c) => {
    const name = c.perMillion?.({ groupSize });
    return name ? [[name, c.label({ groupSize })] as [string, string]] : [];
  });
  // The sends into the group of 1,000 (bench/scenarios/cost-big-group.ts): inline and queued.
  for (const c of fresh) {
    const big = c.label.match(new RegExp(`^sendMessage \\((group of ${BIG_GROUP}, .*)\\)$`));
    if (big?.[1]) priced.push([big[1], c.label]);
  }
  for (const [name, label] of priced) {
    const c = fresh.find((x) => x.label === label);
    if (!c) continue;
    const assumptions = {
      readUnits: c.read,
      writeUnits: c.write,
      apiGatewayMessages: 2 + c.posts,
      lambdaInvocations: 1,
      lambdaMs: c.handlerMs,
      lambdaMemoryMb: PRICES.lambdaMemoryMb,
      ...(c.jobs ? { workerInvocations: c.jobs, workerMs: c.workerMs ?? 0 } : {}),
    };
    perMillionMessages[name] = { ...costPerMillion(assumptions), assumptions };
  }
  return {
    fresh,
    seeded,
    seededChats,
    perMillionMessages,
    notes: [
      'Units come from ReturnConsumedCapacity (DynamoDB Local), except TransactWriteItems: DynamoDB Local reports unusable figures for transactions, so each item is billed here as DynamoDB does, 2 WCU per KB of its larger image (read just before and after), plus 1 WCU per KB for the GSI write of items carrying the GSI keys.',
      'Failed conditional writes return no ConsumedCapacity; they are booked as an estimate (1 WCU per single-item write; a cancelled transaction at 2 WCU per KB of each item).',
      `API Gateway messages per message = the inbound frame + the ack + one post per recipient socket (all under 32 KB). Connection minutes are billed separately at $${PRICES.apiGatewayConnectionMinutesPerMillion} per million (a user online 8 h/day ≈ 14,400 min/month ≈ $0.0036/month).`,
      `Lambda: one invocation per message, ${PRICES.lambdaMemoryMb} MB arm64 assumed, duration = the handler's median measured here against DynamoDB Local (an estimate; AWS latencies differ), rounded up to 1 ms.`,
      'Posts per action count every PostToConnection attempt; events to offline users cost no post.',
      `Queued sends: the fan-out worker's invocations (jobs of at most 200 sockets) are Lambda invocations at their measured median duration; SQS at $${PRICES.sqsPerMillion} per million requests, ${PRICES.sqsRequestsPerJob} requests per job (its share of a SendMessageBatch, the poller's receive and delete: an upper bound).`,
    ],
  };
}
