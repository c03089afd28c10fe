/**
 * The environment of the scheduled-message functions and of the routes that enqueue due messages
 * (`scheduleMessage`): no imports, so that `lambdas/shared/config.ts` can read the names without
 * bundling the route table that `lib/scheduled-functions.ts` builds its definitions from.
 */

/** The environment variable carrying the due queue's URL. */
export const SCHEDULED_QUEUE_URL_ENV = 'SCHEDULED_QUEUE_URL';
/**
 * The sweep horizon in seconds: a sweep enqueues what is due before now + horizon, and
 * `scheduleMessage` enqueues at once what is due sooner. It must exceed the longest gap between two
 * sweeps (EventBridge fires a per-minute rule somewhere within its minute: up to 119 s) and stay
 * under SQS's 900-second timer limit.
 */
export const SCHEDULED_HORIZON_ENV = 'SCHEDULED_HORIZON_SECONDS';
export const DEFAULT_HORIZON_SECONDS = 120;
