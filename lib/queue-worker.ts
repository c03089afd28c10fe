/**
 * A queue worker from lib/workers.ts: an SQS standard queue (SSE-SQS, TLS only) with a dead-letter
 * queue (redrive after `maxReceiveCount` receives, kept 14 days), the worker function (a
 * ChatFunction like every route's) invoked by an event source mapping (batch size, maximum
 * concurrency and partial batch responses from the definition), its least-privilege grants, and
 * alarms: anything in the dead-letter queue, the oldest message older than `maxAgeSeconds`, and
 * the function's errors and throttles.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PREFIX } from '../lambdas/data/keys.ts';
import { ChatAlarms, LATCHING_QUEUE_ALARM } from './alarms.ts';
import type { ChatApi } from './chat-api.ts';
import { ChatFunction, type LogLevel, logSettings } from './chat-function.ts';
import type { ChatTable, ItemPartitionOptions } from './chat-table.ts';
import { reservedConcurrencyFor, sqsMaxConcurrency } from './concurrency.ts';
import { failureQueue, secureQueue } from './queues.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from './table.ts';
import { type ItemActions, type KeyPrefix, type QueueWorkerDefinition, tableActionsOf } from './workers.ts';

/** The `dynamodb:LeadingKeys` patterns of partitions under the named prefixes (lambdas/data/keys.ts). */
export const partitions = (prefixes: readonly KeyPrefix[]): string[] => prefixes.map((p) => `${PREFIX[p]}*`);

/** `grantActions`' options for item actions each limited to its own prefixes. */
export const partitionsByAction = (itemActions: ItemActions): ItemPartitionOptions => ({
  partitionsByAction: Object.fromEntries(
    Object.entries(itemActions).map(([action, prefixes]) => [action, partitions(prefixes)]),
  ),
});

export interface QueueWorkerProps {
  readonly definition: QueueWorkerDefinition;
  readonly table: ChatTable;
  /** The WebSocket API whose connections the worker posts to (required when its definition says it does). */
  readonly api?: ChatApi;
  /** @default RetentionDays.ONE_MONTH (ChatFunction's default) */
  readonly logRetention?: RetentionDays;
  /** A throwaway stack: queues and logs are deleted with it. @default false */
  readonly destroyable?: boolean;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** Where alarms (and their recovery) go. @default - no action */
  readonly alarmTopic?: ITopic;
  /**
   * Reserved concurrency by function name, or `*` (the stack's `reservedConcurrency`,
   * lib/concurrency.ts): the worker's entry is its definition's `name`. It also caps the event
   * source's maximum concurrency (so it must be 2 or more).
   * @default - no reserved concurrency
   */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
}

export class QueueWorker extends Construct {
  readonly definition: QueueWorkerDefinition;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: ChatFunction;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    const def = props.definition;
    this.definition = def;
    const api = props.api;
    if (def.managementApi && !api) throw new Error(`${def.name} posts to connections: it needs the api`);
    const removalPolicy = props.destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.deadLetterQueue = failureQueue(this, 'DeadLetters', removalPolicy);
    this.queue = secureQueue(this, 'Queue', {
      // Lambda's advice for SQS event sources: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * def.timeoutSeconds),
      retentionPeriod: Duration.days(def.retentionDays ?? 1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: def.maxReceiveCount },
      removalPolicy,
    });

    const reserved = reservedConcurrencyFor(def.name, props.reservedConcurrency);
    this.worker = new ChatFunction(this, def.name, {
      entry: def.entry,
      ...reserved,
      description: `Chat worker ${def.name}`,
      timeout: Duration.seconds(def.timeoutSeconds),
      ...logSettings(props),
      logRemovalPolicy: removalPolicy,
      environment: {
        [TABLE_NAME_ENV]: props.table.tableName,
        ...(def.managementApi && api ? { [MANAGEMENT_ENDPOINT_ENV]: api.stage.callbackUrl } : {}),
        [def.queueUrlEnv]: this.queue.queueUrl,
      },
    });
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: def.batchSize,
        maxConcurrency: sqsMaxConcurrency(def.name, def.maxConcurrency, reserved),
        reportBatchItemFailures: true,
      }),
    );
    // The event source grants the worker the queue's consume actions on this queue only; the push and
    // fan-out workers' handlers use one of them themselves, ChangeMessageVisibility
    // (lambdas/queue/retry-later.ts: a failed job tried again in seconds, not after the visibility
    // timeout above).
    // Table: exactly its actions, each on items whose partition key has one of its prefixes (and, with a
    // customer managed table key, that key's matching actions through DynamoDB, as for the routes).
    props.table.grantActions(
      this.worker,
      tableActionsOf(def.itemActions, def.indexQueries),
      partitionsByAction(def.itemActions),
    );
    if (def.managementApi) api?.grantManageConnections(this.worker);
    // Follow-up jobs go to its own queue (fan-out: failed sockets; retention: the rest of a
    // partition; push: the notifications it had no time for); its URL is set above.
    this.grantSend(this.worker);

    const alarms = new ChatAlarms(this, { topic: props.alarmTopic });
    const period = Duration.minutes(1);
    alarms.add('DeadLettersAlarm', {
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      description: `${def.name}: jobs in the dead-letter queue (given up after ${def.maxReceiveCount} receives). ${LATCHING_QUEUE_ALARM}`,
    });
    alarms.add('OldestJobAlarm', {
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      description: `${def.name}: the oldest queued job waited ${def.maxAgeSeconds} s or more (workers fall behind)`,
      threshold: def.maxAgeSeconds,
    });
    // Ids as deployed (changing one replaces the alarm).
    alarms.addFunctionAlarms(this.worker, { errors: 'Errors', throttles: 'ThrottlesAlarm' });
    this.alarms = alarms.all;
  }

  /**
   * Lets `producer` enqueue jobs: `sqs:SendMessage` (which covers SendMessageBatch) on this queue
   * only, and the queue's URL in its environment.
   */
  grantSend(producer: ChatFunction): Grant {
    if (producer !== this.worker) {
      producer.function.addEnvironment(this.definition.queueUrlEnv, this.queue.queueUrl);
    }
    return Grant.addToPrincipal({
      grantee: producer,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    });
  }
}
