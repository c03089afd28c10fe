/**
 * Scheduled messages on AWS (the design and its numbers: docs/deploy.md "Scheduled messages"):
 *
 *   EventBridge rule, rate(1 minute) ──▶ Sweeper ── Query gsi2 (due within the horizon) ──▶
 *   SQS due queue (message timer = seconds left) ──▶ Dispatcher (event source mapping, batches of 10,
 *   partial batch failures) ──▶ sendMessage's domain path, events to the author's sockets
 *
 * `scheduleMessage` also enqueues at once what is due within the horizon. The queue has a dead-letter
 * queue (a message that failed five receives); every sweep re-enqueues whatever is still due, so a
 * lost or dead-lettered queue message delays a send but never loses it.
 *
 * Alarms: function errors and throttles, dead letters, lag (a message sent 60 s or more after its
 * time, or one waiting that long), a sweep that stopped running, and dispatches given up.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PREFIX, SWEEP_PK } from '../lambdas/data/keys.ts';
import { ChatAlarms, LATCHING_QUEUE_ALARM } from './alarms.ts';
import type { ChatApi } from './chat-api.ts';
import { ChatFunction, type LogLevel, logSettings } from './chat-function.ts';
import type { ChatMedia } from './chat-media.ts';
import type { ChatTable } from './chat-table.ts';
import { reservedConcurrencyFor, sqsMaxConcurrency } from './concurrency.ts';
import { businessMetric } from './metrics.ts';
import { hookFor, type PreSendHookSettings } from './pre-send-hook.ts';
import { failureQueue, secureQueue } from './queues.ts';
import { SCHEDULED_FUNCTIONS, SCHEDULED_QUEUE_URL_ENV } from './scheduled-functions.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from './table.ts';

/** The dispatcher's timeout; the queue's visibility timeout is six times it (AWS's advice). */
const DISPATCH_TIMEOUT = Duration.seconds(SCHEDULED_FUNCTIONS.dispatcher.timeoutSeconds);
const SWEEP_TIMEOUT = Duration.seconds(SCHEDULED_FUNCTIONS.sweeper.timeoutSeconds);
/** Receives of one queue message before it goes to the dead-letter queue. */
const MAX_RECEIVES = 5;
/** The promise on AWS: a scheduled message goes out within 60 s of its time. */
const LAG_THRESHOLD_MS = 60_000;

export interface ScheduledMessagesProps {
  readonly table: ChatTable;
  readonly api: ChatApi;
  /** @default RetentionDays.ONE_MONTH (ChatFunction's default) */
  readonly logRetention?: RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default false */
  readonly destroyable?: boolean;
  /** @default - alarms have no actions */
  readonly alarmTopic?: ITopic;
  /**
   * The media bucket: the dispatcher sends scheduled messages' attachments.
   * @default - none (the dispatcher then fails to synthesize, as it has media actions)
   */
  readonly media?: ChatMedia;
  /**
   * The pre-send hook: the dispatcher sends through `sendMessage`'s domain, so it runs the hook too.
   * @default - no hook
   */
  readonly preSendHook?: PreSendHookSettings;
  /**
   * Reserved concurrency by function name (`ScheduledSweeper`, `ScheduledDispatcher`), or `*`: the
   * stack's `reservedConcurrency` (lib/concurrency.ts). The dispatcher's also caps its queue's
   * event source (maximum concurrency, so it must be 2 or more).
   * @default - no reserved concurrency; the event source's maximum concurrency is unset
   */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
}

export class ScheduledMessages extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly sweeper: ChatFunction;
  readonly dispatcher: ChatFunction;
  readonly rule: Rule;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ScheduledMessagesProps) {
    super(scope, id);
    const { table, api } = props;
    const removalPolicy = props.destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const functionDefaults = {
      ...logSettings(props),
      logRemovalPolicy: removalPolicy,
    };

    // Kept with the stack like the other queues: the dead letters are the record of failed sends.
    this.deadLetters = failureQueue(this, 'DeadLetters', removalPolicy);
    this.queue = secureQueue(this, 'DueQueue', {
      removalPolicy,
      visibilityTimeout: Duration.seconds(DISPATCH_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVES },
    });

    const { sweeper, dispatcher } = SCHEDULED_FUNCTIONS;
    const hook = hookFor(dispatcher.name, props.preSendHook);
    const dispatcherReserved = reservedConcurrencyFor(dispatcher.name, props.reservedConcurrency);
    this.dispatcher = new ChatFunction(this, 'Dispatcher', {
      ...functionDefaults,
      ...dispatcherReserved,
      entry: dispatcher.entry,
      description: 'Chat: sends scheduled messages at their time',
      timeout: DISPATCH_TIMEOUT,
      ...(hook ? { bundle: hook.bundle } : {}),
      environment: {
        ...hook?.environment,
        [TABLE_NAME_ENV]: table.tableName,
        [MANAGEMENT_ENDPOINT_ENV]: api.stage.callbackUrl,
        ...api.fanOutEnvironment,
        [SCHEDULED_QUEUE_URL_ENV]: this.queue.queueUrl,
        ...this.#media(props).environment,
      },
    });
    table.grantActions(this.dispatcher, dispatcher.tableActions);
    this.#media(props).grantActions(this.dispatcher, dispatcher.mediaActions);
    api.grantManageConnections(this.dispatcher);
    this.grantEnqueue(this.dispatcher);
    const maxConcurrency = sqsMaxConcurrency(dispatcher.name, undefined, dispatcherReserved);
    this.dispatcher.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // As many instances as its reserved concurrency allows, no more (throttled messages would
        // count receives towards the dead-letter queue).
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
      }),
    );

    this.sweeper = new ChatFunction(this, 'Sweeper', {
      ...functionDefaults,
      ...reservedConcurrencyFor(sweeper.name, props.reservedConcurrency),
      entry: sweeper.entry,
      description: 'Chat: puts scheduled messages due within the horizon on the due queue',
      timeout: SWEEP_TIMEOUT,
      memorySize: 512,
      environment: {
        [TABLE_NAME_ENV]: table.tableName,
        [SCHEDULED_QUEUE_URL_ENV]: this.queue.queueUrl,
      },
    });
    // Queries on the due index only; items: its cursor read and written (SWEEP), a stuck message's
    // `sendAt` postponed in its sender's partition (UpdateItem, USER#).
    table.grantActions(this.sweeper, sweeper.tableActions, {
      partitionsByAction: {
        'dynamodb:GetItem': [SWEEP_PK],
        'dynamodb:UpdateItem': [SWEEP_PK, `${PREFIX.user}*`],
      },
    });
    this.grantEnqueue(this.sweeper);
    this.rule = new Rule(this, 'EveryMinute', {
      description: 'Chat: sweep of scheduled messages due soon',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(this.sweeper.function, { retryAttempts: 2, maxEventAge: Duration.minutes(2) }),
      ],
    });

    this.alarms = this.#alarms(props.alarmTopic);
  }

  #media(props: ScheduledMessagesProps): ChatMedia {
    if (!props.media)
      throw new Error('the scheduled-message dispatcher needs the media bucket (props.media)');
    return props.media;
  }

  /** Lets `grantee` put messages on the due queue (`sqs:SendMessage`, which SendMessageBatch needs). */
  grantEnqueue(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    });
  }

  /** Gives a route function the due queue: its URL and the right to send to it. */
  connect(fn: ChatFunction): void {
    fn.function.addEnvironment(SCHEDULED_QUEUE_URL_ENV, this.queue.queueUrl);
    this.grantEnqueue(fn);
  }

  /** The functions this construct adds (the route functions are the API's). */
  get functions(): readonly ChatFunction[] {
    return [this.sweeper, this.dispatcher];
  }

  #alarms(topic: ITopic | undefined): Alarm[] {
    const period = Duration.minutes(5);
    const alarms = new ChatAlarms(this, { topic });
    for (const fn of this.functions) {
      const name = fn.node.id;
      alarms.addFunctionAlarms(fn, { errors: `${name}ErrorsAlarm`, throttles: `${name}ThrottlesAlarm` });
    }
    alarms.add('DeadLettersAlarm', {
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      description: `Scheduled messages: a due-queue message failed ${MAX_RECEIVES} receives (the sweep retries the send; find out why). ${LATCHING_QUEUE_ALARM}`,
    });
    alarms.add('SweepStoppedAlarm', {
      metric: this.sweeper.function.metricInvocations({ period, statistic: 'Sum' }),
      description:
        'Scheduled messages: the per-minute sweep did not run for 5 minutes (messages due later than 2 minutes after scheduling wait)',
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    // The functions' own metrics (EMF, lambdas/domain/scheduled-dispatch.ts), in the business
    // namespace with the stack's `Stack` dimension: no log level drops them, and the alarms of two
    // stacks in one region read their own stack's.
    const perMinute = { statistic: 'Maximum', period: Duration.minutes(1) };
    alarms.add('DispatchLagAlarm', {
      metric: businessMetric(this, 'ScheduledDispatchLag').with(perMinute),
      description: `Scheduled messages: one went out ${LAG_THRESHOLD_MS / 1000} s or more after its time`,
      threshold: LAG_THRESHOLD_MS,
    });
    alarms.add('SweepOverdueAlarm', {
      metric: businessMetric(this, 'ScheduledSweepOverdue').with(perMinute),
      description: `Scheduled messages: one has waited ${LAG_THRESHOLD_MS / 1000} s or more past its time and not gone out`,
      threshold: LAG_THRESHOLD_MS,
    });
    alarms.add('GivenUpAlarm', {
      metric: businessMetric(this, 'ScheduledGivenUp', period),
      description: 'Scheduled messages: one failed (INTERNAL) after every dispatch attempt',
    });
    return alarms.all;
  }
}
