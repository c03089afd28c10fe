/**
 * The two functions behind scheduled messages, declared once (like the route table) for the CDK
 * construct (lib/scheduled-messages.ts) and the local driver (local/scheduler.ts):
 *
 * - the sweeper, every minute: reads the due index for everything due within the horizon and puts
 *   it on the due queue with an SQS message timer for the remaining seconds;
 * - the dispatcher, fed by the due queue: sends each message once, at its time, through the same
 *   domain path as `sendMessage`.
 *
 * No CDK imports here: the local stack reads this file too.
 */
import { ACTION_ROUTES, type MediaAction, type TableAction } from './routes.ts';

// The environment the handlers read (in its own module: a handler's bundle does not carry the route
// table through this file).
export { DEFAULT_HORIZON_SECONDS, SCHEDULED_HORIZON_ENV, SCHEDULED_QUEUE_URL_ENV } from './scheduled-env.ts';

/**
 * The due queue's name locally (local/scheduler.ts); scripts/check-iam.ts knows the synthesized
 * queue by it (on AWS CloudFormation names the queue).
 */
export const DUE_QUEUE_NAME = 'scheduled-due';

export interface ScheduledFunctionDefinition {
  /**
   * Construct id and local name; also the function's name in its invocation scope, under which the
   * AWS call recorder files its calls (scripts/check-iam.ts).
   */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** Table actions on the table and its indexes (least privilege). */
  readonly tableActions: readonly TableAction[];
  /** Whether it posts events through the Management API. */
  readonly managementApi: boolean;
  /** Actions on the media bucket's objects (none when absent). */
  readonly mediaActions?: readonly MediaAction[];
  /** The function's timeout (the local driver counts each invocation's time down from it). */
  readonly timeoutSeconds: number;
}

function tableActionsOf(action: keyof typeof ACTION_ROUTES): readonly TableAction[] {
  const route = ACTION_ROUTES[action];
  if (route === 'planned') throw new Error(`${action} is not deployed`);
  return route.tableActions;
}

export const SCHEDULED_FUNCTIONS = {
  /**
   * Queries the due index (that grant is limited to the index), and reads and moves its cursor and
   * postpones stuck messages (GetItem/UpdateItem, limited to the `SWEEP` and `USER#…` partitions).
   */
  sweeper: {
    name: 'ScheduledSweeper',
    entry: 'lambdas/handlers/scheduledSweep.ts',
    tableActions: ['dynamodb:Query:gsi2', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    timeoutSeconds: 60,
    managementApi: false,
  },
  /**
   * Claims and completes the scheduled item, then sends like `sendMessage` does (its grants are a
   * superset of the sendMessage route's) and tells the author's sockets.
   */
  dispatcher: {
    name: 'ScheduledDispatcher',
    entry: 'lambdas/handlers/scheduledDispatch.ts',
    tableActions: [
      ...new Set<TableAction>([...tableActionsOf('sendMessage'), 'dynamodb:GetItem', 'dynamodb:UpdateItem']),
    ],
    managementApi: true,
    // Checks the attachments again and re-tags them attached (as sendMessage), signs their URLs, and
    // re-tags them pending when the message fails and gives them back.
    mediaActions: ['s3:GetObject', 's3:PutObjectTagging'],
    // Posts that cannot end 2 s before it go to the fan-out queue (lambdas/fanout/fanout.ts).
    timeoutSeconds: 20,
  },
} as const satisfies Record<string, ScheduledFunctionDefinition>;
