/**
 * The event pipeline on AWS: one function per stream consumer of lib/stream-consumers.ts, each fed by
 * an event source mapping on the table's stream with the consumer's filter criteria (the function is
 * invoked only for the records it wants), partial batch responses, bisection on errors, bounded
 * retries and record age, and an SQS on-failure queue. A consumer is deployed only when its feature
 * is configured: push needs at least one provider secret (`pushApnsSecretArn`,
 * `pushFcmSecretArn` in cdk.json's context); without one the stack deploys without push.
 *
 * Least privilege per function: its table actions (table and indexes; each item action only in the
 * partitions its `itemActions` pairs it with), reading exactly this table's
 * stream, sending to its own on-failure queue, and `secretsmanager:GetSecretValue` on the configured
 * secrets only. Alarms: errors, throttles, iterator age, records on the on-failure queue, and pushes
 * given up after their retries. With push comes its queue worker (lib/workers.ts `PUSH_WORKER`), to
 * which the push function hands the recipients of a message with more than it should look up itself.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEVICE_STALE_DAYS_ENV } from '../lambdas/shared/config.ts';
import { ChatAlarms, LATCHING_QUEUE_ALARM } from './alarms.ts';
import { ChatFunction, type LogLevel, logSettings } from './chat-function.ts';
import type { ChatTable } from './chat-table.ts';
import { reservedConcurrencyFor } from './concurrency.ts';
import { businessMetric } from './metrics.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import { partitionsByAction, QueueWorker } from './queue-worker.ts';
import { failureQueue } from './queues.ts';
import { STREAM_CONSUMERS, type StreamConsumerDefinition, type StreamFeature } from './stream-consumers.ts';
import { TABLE_NAME_ENV } from './table.ts';
import { PUSH_WORKER, tableActionsOf } from './workers.ts';

/** Push notifications (docs/push.md). */
export interface PushSettings {
  /**
   * Secrets Manager secret with the APNs key: `{"teamId","keyId","privateKey","topic","environment"}`.
   * @default - no APNs
   */
  readonly apnsSecretArn?: string;
  /**
   * Secrets Manager secret holding the Firebase service-account JSON.
   * @default - no FCM
   */
  readonly fcmSecretArn?: string;
  /**
   * Notifications carry ids only (no text, no names); the app fetches the content when woken.
   * @default false
   */
  readonly idOnly?: boolean;
  /**
   * Days a device stays live after its app last registered its token (1–365): past them it gets no
   * push, and the TTL deletes it (docs/security.md, "Ending a user's access"). It reaches the
   * `registerDevice` function, the push function and the push worker as `PUSH_DEVICE_STALE_DAYS`
   * (the latter two give a device stored without a TTL its window when they first meet it).
   * @default 60
   */
  readonly deviceStaleDays?: number;
}

/** The rule `deviceStaleDays` must meet, as error messages say it. */
export function checkDeviceStaleDays(days: unknown, field = 'push.deviceStaleDays'): number {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 365) {
    throw new Error(`${field} must be a whole number of days from 1 to 365 (got ${JSON.stringify(days)})`);
  }
  return days;
}

export interface ChatStreamProps {
  readonly table: ChatTable;
  /**
   * The consumers.
   * @default STREAM_CONSUMERS from lib/stream-consumers.ts
   */
  readonly consumers?: readonly StreamConsumerDefinition[];
  /**
   * Push settings; push is deployed when at least one provider secret is set.
   * @default - no push
   */
  readonly push?: PushSettings;
  readonly logRetention?: RetentionDays;
  readonly logLevel?: LogLevel;
  /** A throwaway stack: logs and queues are deleted with it. @default false */
  readonly destroyable?: boolean;
  /** Where alarms go. @default - no action */
  readonly alarmTopic?: ITopic;
  /**
   * Reserved concurrency by function name (a consumer's `name`, e.g. `Push`, and the push worker's,
   * `PushWorker`), or `*` for every function without its own entry: the stack's
   * `reservedConcurrency` context, as the routes get it (lib/concurrency.ts).
   * @default - no reserved concurrency
   */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
}

const PERIOD = Duration.minutes(5);
/** Pushes given up (after their retries) within 5 minutes that raise the alarm. */
const GIVEN_UP_THRESHOLD = 5;
/** The stream consumer is this far behind the table (ms). */
const ITERATOR_AGE_THRESHOLD_MS = 60_000;
const COMPLETE_SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}$/;

export class ChatStreamConsumers extends Construct {
  /** The deployed consumers' functions, by consumer name. */
  readonly functions = new Map<string, ChatFunction>();
  /** The push queue and its worker (lib/workers.ts `PUSH_WORKER`), deployed with push. */
  readonly pushWorker: QueueWorker | undefined;
  /** Each consumer's on-failure queue, by consumer name. */
  readonly failureQueues = new Map<string, Queue>();
  readonly alarms: readonly Alarm[];
  readonly #alarms: ChatAlarms;

  constructor(scope: Construct, id: string, props: ChatStreamProps) {
    super(scope, id);
    this.#alarms = new ChatAlarms(this, { topic: props.alarmTopic, defaults: { datapointsToAlarm: 1 } });
    this.alarms = this.#alarms.all;
    const enabled: Record<StreamFeature, boolean> = {
      push: Boolean(props.push?.apnsSecretArn || props.push?.fcmSecretArn),
    };
    const removal = props.destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    for (const def of props.consumers ?? STREAM_CONSUMERS) {
      if (!enabled[def.feature]) continue;
      this.#consumer(def, props, removal);
    }
    const pushFunction = this.functions.get('Push');
    this.pushWorker =
      pushFunction && props.push ? this.#pushWorker(pushFunction, props, props.push) : undefined;
  }

  /**
   * The push worker (lib/workers.ts): a queue worker with the push function's provider settings and
   * secrets; the push function may queue jobs on it (`sqs:SendMessage`, the queue's URL).
   */
  #pushWorker(pushFunction: ChatFunction, props: ChatStreamProps, push: PushSettings): QueueWorker {
    const worker = new QueueWorker(this, 'PushJobs', {
      definition: PUSH_WORKER,
      table: props.table,
      ...(props.destroyable ? { destroyable: true } : {}),
      ...logSettings(props),
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.reservedConcurrency ? { reservedConcurrency: props.reservedConcurrency } : {}),
    });
    const environment = { METRICS_NAMESPACE: Stack.of(this).stackName, ...pushEnvironment(push) };
    for (const [name, value] of Object.entries(environment))
      worker.worker.function.addEnvironment(name, value);
    for (const arn of [push.apnsSecretArn, push.fcmSecretArn]) {
      if (arn) this.#grantSecret(worker.worker, arn);
    }
    worker.grantSend(pushFunction);
    return worker;
  }

  #consumer(def: StreamConsumerDefinition, props: ChatStreamProps, removal: RemovalPolicy): void {
    const { table } = props;
    const streamArn = table.table.tableStreamArn;
    if (!streamArn) throw new Error('the table has no stream (lib/table.ts streamViewType)');
    const push = def.feature === 'push' ? props.push : undefined;
    const fn = new ChatFunction(this, def.name, {
      entry: def.entry,
      description: `Chat stream consumer ${def.name}`,
      timeout: Duration.seconds(def.timeoutSeconds),
      logRemovalPolicy: removal,
      ...reservedConcurrencyFor(def.name, props.reservedConcurrency),
      ...logSettings(props),
      environment: {
        [TABLE_NAME_ENV]: table.tableName,
        METRICS_NAMESPACE: Stack.of(this).stackName,
        ...(push ? pushEnvironment(push) : {}),
      },
    });
    table.grantActions(
      fn,
      tableActionsOf(def.itemActions, def.indexQueries),
      partitionsByAction(def.itemActions),
    );
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resourceArns: [streamArn],
    });
    const streams = `${table.table.tableArn}/stream/*`;
    Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:ListStreams'], resourceArns: [streams] });
    acknowledgeWildcardResource(
      fn.role,
      streams,
      "ListStreams names streams by their creation label, known only at runtime; the grant covers this table's streams and nothing else.",
    );
    for (const arn of [push?.apnsSecretArn, push?.fcmSecretArn]) {
      if (arn) this.#grantSecret(fn, arn);
    }

    const failures = failureQueue(this, `${def.name}Failures`, removal);
    Validations.of(failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the stream consumer: it holds the records (their positions in the stream) that could not be processed.',
    });

    new EventSourceMapping(this, `${def.name}Source`, {
      target: fn.function,
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.LATEST,
      batchSize: def.batchSize,
      maxBatchingWindow: Duration.seconds(def.maxBatchingWindowSeconds),
      parallelizationFactor: def.parallelizationFactor,
      retryAttempts: def.retryAttempts,
      maxRecordAge: Duration.seconds(def.maxRecordAgeSeconds),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(failures),
      filters: [FilterCriteria.filter(def.filter as Record<string, unknown>)],
    });
    this.functions.set(def.name, fn);
    this.failureQueues.set(def.name, failures);
    this.#addAlarms(def, fn, failures);
  }

  /** `secretsmanager:GetSecretValue` on one secret (a partial ARN matches through `-??????`). */
  #grantSecret(fn: ChatFunction, arn: string): void {
    const resource = COMPLETE_SECRET_ARN.test(arn) ? arn : `${arn}-??????`;
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [resource],
    });
    if (resource !== arn) {
      acknowledgeWildcardResource(
        fn.role,
        resource,
        'The secret was configured by a partial ARN; `-??????` matches the six characters Secrets Manager appends, and only that secret.',
      );
    }
  }

  #addAlarms(def: StreamConsumerDefinition, fn: ChatFunction, failures: Queue): void {
    const name = def.name;
    this.#alarms.addFunctionAlarms(fn, { errors: `${name}Errors`, throttles: `${name}Throttles` });
    this.#alarms.add(`${name}IteratorAge`, {
      metric: fn.function.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }),
      description: `${name}: the stream consumer is more than ${ITERATOR_AGE_THRESHOLD_MS / 1000} s behind the table`,
      threshold: ITERATOR_AGE_THRESHOLD_MS,
    });
    this.#alarms.add(`${name}FailedRecords`, {
      metric: failures.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      description: `${name}: stream records could not be processed and are on the on-failure queue. ${LATCHING_QUEUE_ALARM}`,
    });
    if (def.feature === 'push') {
      this.#alarms.add(`${name}GivenUp`, {
        metric: businessMetric(this, 'PushesGivenUp', PERIOD),
        description: `${name}: notifications given up after their retries (provider throttling or outage)`,
        threshold: GIVEN_UP_THRESHOLD,
      });
    }
  }
}

/** What a function that sends notifications is told of the providers (lambdas/push/config.ts). */
function pushEnvironment(push: PushSettings): Record<string, string> {
  return {
    ...(push.apnsSecretArn ? { PUSH_APNS_SECRET_ARN: push.apnsSecretArn } : {}),
    ...(push.fcmSecretArn ? { PUSH_FCM_SECRET_ARN: push.fcmSecretArn } : {}),
    PUSH_ID_ONLY: push.idOnly ? 'true' : 'false',
    // The device window: a device stored before devices had a TTL gets it when a push meets it.
    ...(push.deviceStaleDays === undefined
      ? {}
      : { [DEVICE_STALE_DAYS_ENV]: String(checkDeviceStaleDays(push.deviceStaleDays)) }),
  };
}
