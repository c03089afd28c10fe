/**
 * The settings of the chat stack (`ChatStackProps`), each with its default; bin/ fills them from CDK
 * context (lib/context.ts), lib/chat-stack.ts wires the constructs from them.
 */
import type { StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { AuthConfig } from './auth.ts';
import type { LogLevel } from './chat-function.ts';
import type { PushSettings } from './chat-stream.ts';
import type { PreSendHookSettings } from './pre-send-hook.ts';
import type { RouteDefinition, RouteThrottle } from './routes.ts';

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
   * The MB (MiB) of uploads one user may request in 24 hours, 200 to 1048576; `requestUpload` past
   * it is BAD_REQUEST naming `size` (context `uploadMbPerDay`; docs/security.md).
   * @default 2048 (2 GB)
   */
  readonly uploadMbPerDay?: number;
  /**
   * The MB (MiB) of messages one user may store in a UTC day, by `sendMessage` and by
   * `scheduleMessage` each (text bytes plus 1 KB a message), 1 to 1048576; past it the action is
   * RATE_LIMITED until 00:00 UTC. It reaches those two functions alone as `TEXT_MB_PER_DAY`
   * (context `textMbPerDay`; docs/security.md, "Text").
   * @default 100
   */
  readonly textMbPerDay?: number;
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
   * The cost alarm's threshold: estimated spend of this stack in US dollars per day, and the media
   * downloads alarm's (see ChatMonitoringProps.dailyCostThresholdUsd).
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
