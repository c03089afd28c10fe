/**
 * AWS list prices assumed for the cost figures (us-east-1, on-demand, as of 2026; check the pricing
 * pages before relying on them) and the arithmetic from measured units to dollars.
 */
export const PRICES = {
  region: 'us-east-1',
  /** DynamoDB on-demand: $ per million write request units. */
  dynamoWritePerMillion: 0.625,
  /** DynamoDB on-demand: $ per million read request units. */
  dynamoReadPerMillion: 0.125,
  /** API Gateway WebSocket: $ per million messages (sent or received, metered in 32 KB increments). */
  apiGatewayMessagesPerMillion: 1.0,
  /** API Gateway WebSocket: $ per million connection minutes. */
  apiGatewayConnectionMinutesPerMillion: 0.25,
  /** Lambda arm64: $ per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda: $ per million requests. */
  lambdaRequestsPerMillion: 0.2,
  /** Memory assumed for every function (MB). */
  lambdaMemoryMb: 256,
  /** SQS standard queue: $ per million requests (each 64 KB chunk of a payload is one request). */
  sqsPerMillion: 0.4,
  /** SQS requests per fan-out job: its share of a SendMessageBatch, the poller's receive and delete (an upper bound). */
  sqsRequestsPerJob: 3,
  /** S3 Standard: $ per million PUT, COPY, POST or LIST requests (PutObject, PutObjectTagging, DeleteObjects). */
  s3PutPerMillion: 5,
  /** S3 Standard: $ per million GET requests. */
  s3GetPerMillion: 0.4,
  /** S3 Standard: $ per GB-month stored. */
  s3StorageGbMonth: 0.023,
  /** Data transfer out of AWS to the internet (media downloads): $ per GB, the first 10 TB a month. */
  s3EgressGb: 0.09,
} as const;

export interface MessageCostInput {
  /** DynamoDB units per message (transactional writes at 2x, failed conditional writes estimated). */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** API Gateway messages per message: the inbound frame, the ack, every post (each ≤ 32 KB). */
  readonly apiGatewayMessages: number;
  /** Lambda invocations per message and their mean duration (ms, measured locally). */
  readonly lambdaInvocations: number;
  readonly lambdaMs: number;
  /** Fan-out worker invocations (queued jobs) per message and their median duration (ms). */
  readonly workerInvocations?: number;
  readonly workerMs?: number;
}

export interface MessageCost {
  /** $ per million messages, by service. */
  readonly dynamodb: number;
  readonly apiGateway: number;
  readonly lambda: number;
  /** The fan-out queue (0 when nothing was queued). */
  readonly sqs: number;
  readonly total: number;
}

const cents = (n: number) => Math.round(n * 10_000) / 10_000;

export function costPerMillion(input: MessageCostInput): MessageCost {
  const dynamodb =
    input.writeUnits * PRICES.dynamoWritePerMillion + input.readUnits * PRICES.dynamoReadPerMillion;
  const apiGateway = input.apiGatewayMessages * PRICES.apiGatewayMessagesPerMillion;
  const invocation = (ms: number) =>
    PRICES.lambdaRequestsPerMillion +
    (Math.max(1, Math.ceil(ms)) / 1000) * (PRICES.lambdaMemoryMb / 1024) * PRICES.lambdaGbSecond * 1e6;
  const jobs = input.workerInvocations ?? 0;
  const lambda =
    input.lambdaInvocations * invocation(input.lambdaMs) + jobs * invocation(input.workerMs ?? 0);
  const sqs = jobs * PRICES.sqsRequestsPerJob * PRICES.sqsPerMillion;
  return {
    dynamodb: cents(dynamodb),
    apiGateway: cents(apiGateway),
    lambda: cents(lambda),
    sqs: cents(sqs),
    total: cents(dynamodb + apiGateway + lambda + sqs),
  };
}
