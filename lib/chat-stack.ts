/**
 * The whole chat backend: the table, the token configuration, the WebSocket API with one function per
 * route, and its alarms and dashboard.
 */
import { Annotations, CfnOutput, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEVICE_STALE_DAYS_ENV } from '../lambdas/shared/config.ts';
import { UPLOAD_MB_PER_DAY_ENV } from '../lambdas/shared/user-caps.ts';
import { ChatAuth } from './auth.ts';
import { orderBlockMirror } from './block-mirror-order.ts';
import { ChatApi } from './chat-api.ts';
import { type ChatFunction, logSettings } from './chat-function.ts';
import { ChatMedia, checkUploadMbPerDay } from './chat-media.ts';
import type { ChatStackProps } from './chat-stack-props.ts';
import { ChatStreamConsumers, checkDeviceStaleDays } from './chat-stream.ts';
import { ChatTable } from './chat-table.ts';
import { OTHER_FUNCTION_NAMES } from './concurrency.ts';
import type { AlarmGroup } from './dashboard.ts';
import { ChatMonitoring } from './monitoring.ts';
import { QueueWorker } from './queue-worker.ts';
import { ROUTES, type RouteDefinition } from './routes.ts';
import { ScheduledMessages } from './scheduled-messages.ts';
import { checkTextMbPerDay, setTextBudget } from './text-budget.ts';
import { FANOUT_WORKER, type QueueWorkerDefinition, RETENTION_WORKER } from './workers.ts';

export type { ChatStackProps } from './chat-stack-props.ts';

/** The synth warning of a stack (not `destroyable`) whose alarms notify nobody. */
export const NO_ALARM_TOPIC_WARNING = 'chat:noAlarmTopic';
const NO_ALARM_TOPIC_MESSAGE =
  'No alarm topic: the alarms notify nobody (they only change state in the console and on the dashboard). ' +
  'Set alarmTopicArn to an SNS topic ARN in cdk.json\'s context (docs/deploy.md, "Before the first deploy").';

export class ChatStack extends Stack {
  readonly table: ChatTable;
  readonly media: ChatMedia;
  readonly auth: ChatAuth;
  readonly chatApi: ChatApi;
  readonly monitoring: ChatMonitoring;
  /** The table's stream consumers (push when configured). */
  readonly streams: ChatStreamConsumers;
  readonly scheduled: ScheduledMessages;
  /** The fan-out queue and its worker (lib/workers.ts). */
  readonly fanOutWorker: QueueWorker;
  /** The retention queue and its worker (lib/workers.ts): a deleted chat's items get their TTL. */
  readonly retentionWorker: QueueWorker;

  constructor(scope: Construct, id: string, props: ChatStackProps = {}) {
    super(scope, id, props);
    // Checked before anything is built: a wrong value names the setting, not a construct.
    const textMbPerDay = props.textMbPerDay === undefined ? undefined : checkTextMbPerDay(props.textMbPerDay);
    const destroyable = props.destroyable ?? false;
    // The log settings every construct with functions takes.
    const logging = logSettings(props);
    // Every construct with functions reads the one map (ChatApi checks its names against them all).
    const reserved = props.reservedConcurrency ? { reservedConcurrency: props.reservedConcurrency } : {};

    const key = props.tableEncryptionKey;
    this.table = new ChatTable(this, 'Table', {
      destroyable,
      ...(key === true
        ? { encryptionKey: true }
        : typeof key === 'string'
          ? { encryptionKey: Key.fromKeyArn(this, 'TableKey', key) }
          : {}),
    });
    this.media = new ChatMedia(this, 'Media', { destroyable });
    this.auth = new ChatAuth(this, 'Auth', {
      ...(props.auth ? { config: props.auth } : {}),
      ...(props.rolesClaim ? { rolesClaim: props.rolesClaim } : {}),
      ...(props.jwtMaxLifetimeSeconds === undefined
        ? {}
        : { jwtMaxLifetimeSeconds: props.jwtMaxLifetimeSeconds }),
      destroyable,
    });
    this.chatApi = new ChatApi(this, 'Chat', {
      table: this.table,
      auth: this.auth,
      media: this.media,
      destroyable,
      ...(props.routes ? { routes: props.routes } : {}),
      ...(props.stageName ? { stageName: props.stageName } : {}),
      ...(props.throttle ? { throttle: props.throttle } : {}),
      ...logging,
      ...(props.configureAccountLogging === undefined
        ? {}
        : { configureAccountLogging: props.configureAccountLogging }),
      ...reserved,
      otherFunctionNames: OTHER_FUNCTION_NAMES,
      ...(props.detailedMetrics === undefined ? {} : { detailedMetrics: props.detailedMetrics }),
      ...(props.fanOutConcurrency === undefined ? {} : { fanOutConcurrency: props.fanOutConcurrency }),
      ...(props.preSendHook ? { preSendHook: props.preSendHook } : {}),
    });
    // How long a push device stays live after its app registered it: registerDevice sets its TTL
    // (the push function and worker get it with their push settings, lib/chat-stream.ts).
    if (props.push?.deviceStaleDays !== undefined) {
      this.chatApi.functions
        .get('registerDevice')
        ?.function.addEnvironment(
          DEVICE_STALE_DAYS_ENV,
          String(checkDeviceStaleDays(props.push.deviceStaleDays)),
        );
    }
    // The daily upload budget (requestUpload): unset, the function's default (2 GB) applies.
    if (props.uploadMbPerDay !== undefined) {
      this.chatApi.functions
        .get('requestUpload')
        ?.function.addEnvironment(UPLOAD_MB_PER_DAY_ENV, String(checkUploadMbPerDay(props.uploadMbPerDay)));
    }
    // The daily text budget (sendMessage, scheduleMessage): unset, the functions' default (100 MB).
    if (textMbPerDay !== undefined) setTextBudget(this.chatApi.functions, textMbPerDay);
    const alarmTopic = props.alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : undefined;
    const alarms = alarmTopic ? { alarmTopic } : {};
    // Without a topic the alarms change state in the console and nobody hears of it: fine for a
    // throwaway stack, not for one that keeps data.
    if (!alarmTopic && !destroyable) {
      Annotations.of(this).addWarningV2(NO_ALARM_TOPIC_WARNING, NO_ALARM_TOPIC_MESSAGE);
    }
    const queueWorker = (
      id: string,
      definition: QueueWorkerDefinition,
      producer: (r: RouteDefinition) => boolean,
    ) => {
      const worker = new QueueWorker(this, id, {
        definition,
        table: this.table,
        api: this.chatApi,
        destroyable,
        ...logging,
        ...alarms,
        ...reserved,
      });
      for (const def of props.routes ?? ROUTES) {
        const fn = this.chatApi.functions.get(def.routeKey);
        if (fn && producer(def)) worker.grantSend(fn);
      }
      // A worker that handles media (retention: a deleted chat's objects) gets exactly its actions
      // on `chats/*` and the bucket in its environment, as a route does (lib/chat-api.ts).
      if (this.media.grantActions(worker.worker, definition.mediaActions ?? [])) {
        for (const [name, value] of Object.entries(this.media.environment)) {
          worker.worker.function.addEnvironment(name, value);
        }
      }
      return worker;
    };
    // Big fan-outs leave the request: every function that posts to connections may queue jobs, and
    // one that closes sockets for good (deactivateUser) queues the offline check of a gone last one.
    this.fanOutWorker = queueWorker(
      'FanOut',
      FANOUT_WORKER,
      (def) => def.postsEvents || Boolean(def.uses?.includes('fanOutQueue')),
    );
    // A deleted chat's items get their TTL off the request path; only deleteChat queues the job.
    this.retentionWorker = queueWorker('Retention', RETENTION_WORKER, (def) =>
      Boolean(def.uses?.includes('retentionQueue')),
    );
    // Its posts (a finish job's chat.deleted) may find a user's last socket gone (410): the offline
    // check goes on the fan-out queue (lambdas/domain/deps.ts `lastSocketGone`).
    this.fanOutWorker.grantSend(this.retentionWorker.worker);
    // Scheduled messages: the sweep, the due queue and the dispatcher (lib/scheduled-messages.ts);
    // route functions that use the due queue get it here.
    this.scheduled = new ScheduledMessages(this, 'Scheduled', {
      table: this.table,
      api: this.chatApi,
      media: this.media,
      destroyable,
      ...logging,
      ...alarms,
      ...reserved,
      ...(props.preSendHook ? { preSendHook: props.preSendHook } : {}),
    });
    for (const def of props.routes ?? ROUTES) {
      const fn = this.chatApi.functions.get(def.routeKey);
      if (fn && def.uses?.includes('scheduledQueue')) this.scheduled.connect(fn);
    }
    // The dispatcher sends as sendMessage does, so a big group's events go to the fan-out queue, and
    // posts it has no time left for within its 20 s are queued too (lambdas/fanout/fanout.ts).
    this.fanOutWorker.grantSend(this.scheduled.dispatcher);
    orderBlockMirror(this.chatApi, [this.scheduled.dispatcher]);

    this.streams = new ChatStreamConsumers(this, 'Streams', {
      table: this.table,
      destroyable,
      ...(props.push ? { push: props.push } : {}),
      ...reserved,
      ...logging,
      ...alarms,
    });
    // Alarms and dashboard last: the dashboard shows every alarm and function of the stack.
    this.monitoring = new ChatMonitoring(this, 'Monitoring', {
      api: this.chatApi,
      table: this.table,
      ...(props.dailyCostAlarmUsd === undefined ? {} : { dailyCostThresholdUsd: props.dailyCostAlarmUsd }),
      media: this.media,
      ...alarms,
      otherAlarms: this.#alarmGroups(),
      otherFunctions: this.otherFunctions,
      push: this.streams.functions.has('Push'),
    });

    this.#failureQueueOutputs();

    new CfnOutput(this, 'WebSocketUrl', {
      value: this.chatApi.url,
      description: 'Connect with ?token=<JWT>',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'MediaBucketName', { value: this.media.bucket.bucketName });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    if (this.auth.userPool && this.auth.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId });
    }
    if (this.auth.secretCreated && this.auth.secretArn) {
      new CfnOutput(this, 'JwtSecretArn', {
        value: this.auth.secretArn,
        description: 'The HS256 signing key (read it with secretsmanager get-secret-value)',
      });
    }
  }

  /**
   * The URL of every queue that keeps what failed, for `aws sqs purge-queue` and (with its ARN)
   * `start-message-move-task`: their alarms stay in ALARM until they are emptied (docs/operations.md).
   */
  #failureQueueOutputs(): void {
    const output = (id: string, queue: Queue | undefined, description: string) => {
      if (queue) new CfnOutput(this, id, { value: queue.queueUrl, description });
    };
    output(
      'FanOutDeadLetterQueueUrl',
      this.fanOutWorker.deadLetterQueue,
      'Fan-out jobs given up: redrive once the Management API answers',
    );
    output(
      'RetentionDeadLetterQueueUrl',
      this.retentionWorker.deadLetterQueue,
      'Retention jobs given up: redrive once their cause is fixed',
    );
    output(
      'ScheduledDeadLetterQueueUrl',
      this.scheduled.deadLetters,
      'Scheduled-message deliveries given up: purge (the sweep retries them)',
    );
    output(
      'PushJobsDeadLetterQueueUrl',
      this.streams.pushWorker?.deadLetterQueue,
      'Push jobs given up: purge (a late push is noise)',
    );
    output(
      'PushFailureQueueUrl',
      this.streams.failureQueues.get('Push'),
      'Message records the push pipeline could not process: purge (records past 15 minutes are dropped)',
    );
  }

  /** The stack's functions outside the API: queue workers, scheduled messages, stream consumers. */
  get otherFunctions(): readonly ChatFunction[] {
    const pushWorker = this.streams.pushWorker;
    return [
      this.fanOutWorker.worker,
      this.retentionWorker.worker,
      ...this.scheduled.functions,
      ...this.streams.functions.values(),
      ...(pushWorker ? [pushWorker.worker] : []),
    ];
  }

  /** The alarms of the constructs beside the API, grouped for the dashboard. */
  #alarmGroups(): AlarmGroup[] {
    const pushWorker = this.streams.pushWorker;
    return [
      {
        title: 'Alarms: queue workers',
        alarms: [...this.fanOutWorker.alarms, ...this.retentionWorker.alarms, ...(pushWorker?.alarms ?? [])],
      },
      { title: 'Alarms: scheduled messages', alarms: this.scheduled.alarms },
      { title: 'Alarms: stream consumers', alarms: this.streams.alarms },
    ];
  }
}
