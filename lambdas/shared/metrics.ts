/**
 * Business metrics as CloudWatch embedded metric format (EMF): one JSON line on stdout per call, which
 * CloudWatch Logs turns into metrics (no API call, no extra permission). Powertools Metrics would do the
 * same but costs about 11 KB and 10 ms of module load per function (docs/performance.md), so this is
 * the few lines the product needs.
 *
 * On AWS the stack sets `METRICS_STACK` (the stack name, the metrics' one dimension). Without it
 * (`npm run dev`, tests) nothing is printed; listeners registered with `onMetrics` see every emission
 * either way (tests, the smoke command's local run).
 */
import { readingEnv } from './env-use.ts';
import { currentScope } from './logger.ts';

/** The CloudWatch namespace of every business metric. */
export const METRICS_NAMESPACE = 'ServerlessChat';
/** Environment variable naming the stack: the value of the `Stack` dimension. Unset: no EMF output. */
export const METRICS_STACK_ENV = 'METRICS_STACK';
/** The one dimension of every business metric. */
export const METRICS_DIMENSION = 'Stack';

export const BUSINESS_METRICS = {
  /**
   * Messages stored by `sendMessage` (duplicates not counted) and scheduled messages the dispatcher
   * sent (lambdas/handlers/scheduledDispatch.ts: once each, when it records them sent).
   */
  MessagesSent: 'Messages stored by sendMessage or sent as scheduled (duplicates not counted)',
  /** Events delivered to sockets through the Management API. */
  FanOutPosts: 'Events posted to sockets (PostToConnection acknowledged)',
  /** Posts that failed after their retries. */
  FanOutFailures: 'Posts to sockets that failed after retries, and users not looked up and not queued',
  /**
   * Retries of posts after throttling (429), a server error or a network failure (a post retried
   * twice counts 2): the first sign that the fan-out's posts in flight meet the account's API
   * Gateway throttle.
   */
  FanOutRetries: 'Retries of posts to sockets (throttled, 5xx, network)',
  /** Connection records removed because the socket was gone (410). */
  StaleConnectionsRemoved: 'Connection records of gone sockets removed',
  /**
   * Sockets told TOKEN_EXPIRED whose DeleteConnection failed twice (lambdas/shared/token-expiry.ts):
   * left open until their next frame or API Gateway's 2-hour limit.
   */
  ExpiredSocketsLeftOpen: 'Sockets with an expired token that could not be closed',
  /**
   * `deleteAccount`'s calling socket whose DeleteConnection failed twice after its ack
   * (lambdas/handlers/deleteAccount.ts): left open until API Gateway's 2-hour limit, its user refused
   * at every new `$connect`.
   */
  DeletedSocketsLeftOpen: "A deleted account's socket that could not be closed after deleteAccount's ack",
  /**
   * An account deletion whose job the retention queue refused (lambdas/domain/account-deletion.ts):
   * the tombstone is written and the request answered INTERNAL, but nothing leaves the user's chats
   * until the same socket or an administrator repeats it.
   */
  AccountDeletionNotQueued:
    "Account deletions whose job the retention queue refused (the user's chats not left)",
  /** Tokens refused at `$connect` (expired, wrongly signed, …): callers' errors, not faults. */
  TokensRefused: 'Tokens refused by the $connect authorizer',
  /**
   * Handshakes of a deactivated user (`deactivateUser`) refused by `$connect` (401, nothing stored):
   * its answer, not a throw, so never a Lambda error. Not in `TokensRefused`: the authorizer's fault
   * alarm subtracts that one from its errors. Charted, not alarmed: a client retrying, or a stolen
   * token still tried.
   */
  DeactivatedRefused: 'Handshakes of deactivated users refused by $connect',
  /** The token issuer's keys could not be fetched (JWKS outage, timeout, bad answer). */
  KeySourceErrors: 'JWKS fetch failures (identity provider unavailable)',
  /**
   * Frames answered `INTERNAL` (lambdas/shared/ws-middleware.ts): an unexpected error, i.e. a bug, a
   * dependency's failure after its retries, a missing grant. The invocation still succeeds (its error
   * frame is the reply), so Lambda's `Errors` does not count these: this metric is their alarm's.
   * The EMF line carries the route (`routeKey`) for Logs Insights; the metric has only `Stack`.
   */
  InternalErrors: 'Frames answered INTERNAL (a bug, a dependency failure, a missing grant)',
  /** Frames answered with RATE_LIMITED. */
  RateLimitedFrames: 'Frames answered with RATE_LIMITED',
  /**
   * Sockets closed for sending on after RATE_LIMITED: more than FLOOD_REFUSALS_MAX refused frames in
   * a window (lambdas/shared/flood-guard.ts). Callers' doing: charted, not alarmed.
   */
  FloodingSocketsClosed: 'Sockets closed for flooding after RATE_LIMITED',
  /** Flooding sockets whose DeleteConnection failed twice: left open (their count starts again). */
  FloodingSocketsLeftOpen: 'Flooding sockets that could not be closed',
  /** Notifications APNs or FCM accepted (the push stream consumer, lambdas/push/deliver.ts). */
  PushesSent: 'Push notifications accepted by APNs/FCM',
  /** Notifications a provider refused for good (not a dead token: those remove the device). */
  PushesFailed: 'Push notifications refused by APNs/FCM',
  /** Notifications still failing (5xx, 429, network) after their retries. */
  PushesGivenUp: 'Push notifications given up after retries',
  /**
   * How long after its time a scheduled message went out (ms; the dispatcher, per message it
   * completes). The scheduled messages' alarms read these three (lib/scheduled-messages.ts): as
   * metrics, not log lines, they do not depend on `LOG_LEVEL`.
   */
  ScheduledDispatchLag: 'Scheduled messages: ms from their time to their dispatch',
  /** How long past its time the oldest message a sweep found is (ms; 0 when none is; every sweep). */
  ScheduledSweepOverdue: 'Scheduled messages: ms the oldest one a sweep found is overdue',
  /** Scheduled messages that failed (`INTERNAL`) after every dispatch attempt. */
  ScheduledGivenUp: 'Scheduled messages given up after every dispatch attempt',
  /**
   * Messages stored in a chat whose partition DynamoDB estimates at 8 GB or more of its 10 GB
   * (lambdas/domain/chat-size.ts): the chat will soon refuse every write (`FORBIDDEN`). The WARN
   * line `chat storage near its limit` names the chat. Alarmed (docs/operations.md).
   */
  ChatStorageNearFull: 'Messages stored in a chat near its 10 GB storage limit',
  /**
   * Deleted chats (`deleteChat`, a last member's leave) whose retention job the retention queue
   * refused twice and whose partition the request could not expire in its time
   * (lambdas/domain/chat-deletion.ts): part of their items keep no TTL until the job is sent. The
   * ERROR line names the chat and the job. Alarmed (docs/operations.md).
   */
  RetentionNotQueued: 'Deleted chats whose retention the queue refused and the request could not finish',
} as const;

export type BusinessMetric = keyof typeof BUSINESS_METRICS;
export type MetricValues = Partial<Record<BusinessMetric, number>>;

/**
 * The metrics that are durations, not counts (unit `Milliseconds`; every other one is a `Count`). A
 * duration of 0 is a measurement and is emitted; a count of 0 is not.
 */
export const DURATION_METRICS: ReadonlySet<BusinessMetric> = new Set<BusinessMetric>([
  'ScheduledDispatchLag',
  'ScheduledSweepOverdue',
]);

/** A metric's EMF unit. */
export function unitOf(name: BusinessMetric): 'Count' | 'Milliseconds' {
  return DURATION_METRICS.has(name) ? 'Milliseconds' : 'Count';
}

type Listener = (values: MetricValues) => void;
const listeners = new Set<Listener>();

/** Sees every emission (tests). Returns a function that removes the listener. */
export function onMetrics(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The EMF document of one emission (exported for tests). */
export function emfDocument(values: MetricValues, stack: string, timestamp = Date.now()) {
  const names = Object.keys(values) as BusinessMetric[];
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[METRICS_DIMENSION]],
          Metrics: names.map((Name) => ({ Name, Unit: unitOf(Name) })),
        },
      ],
    },
    [METRICS_DIMENSION]: stack,
    // Correlation keys of the invocation, searchable in Logs Insights (not dimensions: no extra cost).
    ...currentScope()?.keys,
    ...values,
  };
}

/**
 * Emits the given values: counts above zero, durations of zero or more (anything else is left out).
 * Not a log line: `LOG_LEVEL` never drops it.
 */
export function putMetrics(values: MetricValues): void {
  const kept: MetricValues = {};
  let any = false;
  for (const [name, value] of Object.entries(values) as [BusinessMetric, number | undefined][]) {
    if (value === undefined || !Number.isFinite(value)) continue;
    if (value > 0 || (value === 0 && DURATION_METRICS.has(name))) {
      kept[name] = value;
      any = true;
    }
  }
  if (!any) return;
  for (const listener of listeners) listener(kept);
  const stack = readingEnv()[METRICS_STACK_ENV];
  if (stack) process.stdout.write(`${JSON.stringify(emfDocument(kept, stack))}\n`);
}

/** Adds 1 to one metric. */
export function countMetric(name: BusinessMetric, value = 1): void {
  putMetrics({ [name]: value });
}
