/**
 * The stack's `reservedConcurrency` setting (docs/deploy.md): reserved (= maximum) concurrency by
 * function name, or `*` for every function without its own entry. Every construct with functions
 * reads the same map: the API (routes and authorizer), the queue workers, the scheduled messages'
 * sweeper and dispatcher, and the stream consumers.
 */
import { SCHEDULED_FUNCTIONS } from './scheduled-functions.ts';
import { STREAM_CONSUMERS } from './stream-consumers.ts';
import { WORKERS } from './workers.ts';

/**
 * The stack's functions outside the API, by name (`reservedConcurrency` may name each): the stream
 * consumers, the queue workers (push's included, deployed with push) and the scheduled messages'.
 */
export const OTHER_FUNCTION_NAMES: readonly string[] = [
  ...STREAM_CONSUMERS.map((c) => c.name),
  ...WORKERS.map((w) => w.name),
  SCHEDULED_FUNCTIONS.sweeper.name,
  SCHEDULED_FUNCTIONS.dispatcher.name,
];

/** A function's reserved concurrency from the map: its own entry, else `*`, else none. */
export function reservedConcurrencyFor(
  name: string,
  concurrency: Readonly<Record<string, number>> | undefined,
): { reservedConcurrency?: number } {
  const n = concurrency?.[name] ?? concurrency?.['*'];
  return n === undefined ? {} : { reservedConcurrency: n };
}

/** The least maximum concurrency an SQS event source mapping takes (Lambda's floor). */
export const SQS_MIN_MAX_CONCURRENCY = 2;

/**
 * The `MaximumConcurrency` of the SQS event source mapping that feeds function `name`: its own
 * (`maxConcurrency`, when it has one), at most its reserved concurrency. A mapping that invokes more
 * instances than the function may run gets throttled, and each throttled message counts a receive
 * towards the dead-letter queue; so a function fed by SQS must be allowed at least the mapping's
 * floor of 2.
 */
export function sqsMaxConcurrency(
  name: string,
  maxConcurrency: number | undefined,
  reserved: { reservedConcurrency?: number },
): number | undefined {
  const limit = reserved.reservedConcurrency;
  if (limit === undefined) return maxConcurrency;
  if (limit < SQS_MIN_MAX_CONCURRENCY) {
    throw new Error(
      `reservedConcurrency of ${name} must be ${SQS_MIN_MAX_CONCURRENCY} or more, not ${limit}: an SQS queue feeds it, ` +
        `and its event source's maximum concurrency is at least ${SQS_MIN_MAX_CONCURRENCY} (give ${name} its own entry)`,
    );
  }
  return maxConcurrency === undefined ? limit : Math.min(maxConcurrency, limit);
}
