/**
 * The whole chat backend: the table, the token configuration, the WebSocket API with one function per
 * route, and its alarms and dashboard.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { type AuthConfig, ChatAuth } from './auth.ts';
import { orderBlockMirror } from './block-mirror-order.ts';
import { ChatApi } from './chat-api.ts';
import { type ChatFunction, type LogLevel, logSettings } from './chat-function.ts';
import { ChatMedia } from './chat-media.ts';
import { ChatStreamConsumers, type PushSettings } from './chat-stream.ts';
import { ChatTable } from './chat-table.ts';
import { OTHER_FUNCTION_NAMES } from './concurrency.ts';
import type { AlarmGroup } from './dashboard.ts';
import { ChatMonitoring } from './monitoring.ts';
import type { PreSendHookSettings } from './pre-send-hook.ts';
import { QueueWorker } from './queue-worker.ts';
import { ROUTES, type RouteDefinition, type RouteThrottle } from './routes.ts';
import { ScheduledMessages } from './scheduled-messages.ts';
import { FANOUT_WORKER, type QueueWorkerDefinition, RETENTION_WORKER } from './workers.ts';

export interface ChatStackProps extends StackProps {
  /**
   * How the `$connect` authorizer verifies tokens.
   * @default { mode: 'cognito' } (the stack creates a user pool and an app client)
   */
  readonly auth?: AuthConfig;
  /** Claims naming a user's roles (`admin` makes an administrator). @default 'roles,cognito:groups' */
  readonly rolesClaim?: string;
  /**
   * The longest token lifetime (`exp` − `iat`) the authorizer accepts, in seconds, 1 to 604800 (7
   * days); longer-lived tokens are refused with 401 (context `jwtMaxLifetimeSeconds`).
   * @default 86400 (24 h)
   */
  readonly jwtMaxLifetimeSeconds?: number;
  /**
   * A throwaway stack: the table, user pool, secret and log groups are deleted with the stack and the
   * table has no deletion protection.
   * @default false
   */
  readonly destroyable?: boolean;
  /**
   * The route table.
   * @default ROUTES from lib/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Stage name.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Default route throttling of the stage.
   * @default DEFAULT_THROTTLE (lib/chat-api.ts)
   */
  readonly throttle?: RouteThrottle;
  /**
   * Retention of function and access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * `LOG_LEVEL` of the functions.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * ARN of an SNS topic that receives alarm and OK notifications.
   * @default - alarms have no actions
   */
  readonly alarmTopicArn?: string;
  /**
   * Set the account's API Gateway CloudWatch Logs role (see ChatApiProps.configureAccountLogging).
   * @default true
   */
  readonly configureAccountLogging?: boolean;
  /**
   * Encrypt the table with a customer managed KMS key: `true` creates one, or give an existing key's ARN.
   * @default - an AWS owned key
   */
  readonly tableEncryptionKey?: boolean | string;
  /**
   * Reserved (= maximum) concurrency per function name, or `*` for all: every function of the stack
   * (routes, authorizer, workers, scheduled messages, push; lib/concurrency.ts). An SQS-fed function's
   * (the workers', the dispatcher's) also caps its event source's maximum concurrency.
   * @default - none
   */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
  /**
   * Posts a function keeps in flight when it pushes events (see ChatApiProps.fanOutConcurrency).
   * @default 64
   */
  readonly fanOutConcurrency?: number;
  /**
   * Per-route CloudWatch metrics on the stage (see ChatApiProps.detailedMetrics).
   * @default true
   */
  readonly detailedMetrics?: boolean;
  /**
   * The cost alarm's threshold: estimated spend of this stack in US dollars per day (see
   * ChatMonitoringProps.dailyCostThresholdUsd).
   * @default 10
   */
  readonly dailyCostAlarmUsd?: number;
  /**
   * Push notifications: the provider secrets (and the id-only privacy option). Without a secret the
   * stack deploys without push.
   * @default - no push
   */
  readonly push?: PushSettings;
  /**
   * The pre-send hook (docs/hooks.md), bundled into the functions that send (lib/pre-send-hook.ts).
   * @default - no hook
   */
  readonly preSendHook?: PreSendHookSettings;
}

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
    const alarmTopic = props.alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : undefined;
    const alarms = alarmTopic ? { alarmTopic } : {};
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
    // Big fan-outs leave the request: every function that posts to connections may queue jobs.
    this.fanOutWorker = queueWorker('FanOut', FANOUT_WORKER, (def) => def.postsEvents);
    // A deleted chat's items get their TTL off the request path; only deleteChat queues the job.
    this.retentionWorker = queueWorker('Retention', RETENTION_WORKER, (def) =>
      Boolean(def.uses?.includes('retentionQueue')),
    );
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
      ...alarms,
      otherAlarms: this.#alarmGroups(),
      otherFunctions: this.otherFunctions,
    });

    const pushFailures = this.streams.failureQueues.get('Push');
    if (pushFailures) {
      new CfnOutput(this, 'PushFailureQueueUrl', {
        value: pushFailures.queueUrl,
        description: 'Message records the push pipeline could not process',
      });
    }

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
