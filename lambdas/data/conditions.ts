/**
 * The one place where a refused conditional write becomes a value instead of an exception: a failed
 * condition or a cancelled transaction, with each action's reason and the item it found (re-exported
 * by table-client.ts, which every repository imports).
 */
import { fromWireItem, type Item } from './item.ts';

/** Whether an error is a request ended by its abort signal (it may or may not have been applied). */
export function isAborted(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** Why DynamoDB refused a conditional write: one reason per action (one for a single write). */
export interface ConditionFailure {
  readonly reasons: readonly {
    /** `ConditionalCheckFailed`, `TransactionConflict`, `None` (this action was fine)… */
    readonly code: string;
    readonly conditionFailed: boolean;
    /** The item as it was, when the action asked `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`. */
    readonly item: Item | undefined;
  }[];
  readonly error: unknown;
}

const CONDITION_FAILED = 'ConditionalCheckFailed';

function reason(code: string, wireItem: Record<string, unknown> | undefined) {
  return { code, conditionFailed: code === CONDITION_FAILED, item: fromWireItem(wireItem) };
}

/** The refusal an error reports, or undefined for any other error. */
function conditionFailureOf(error: unknown): ConditionFailure | undefined {
  const e = error as {
    name?: string;
    Item?: Record<string, unknown>;
    CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[];
  };
  if (e?.name === 'ConditionalCheckFailedException')
    return { reasons: [reason(CONDITION_FAILED, e.Item)], error };
  if (e?.name === 'TransactionCanceledException' && e.CancellationReasons?.length) {
    return { reasons: e.CancellationReasons.map((r) => reason(r.Code ?? 'None', r.Item)), error };
  }
  return undefined;
}

/** Whether a refusal is a failed condition of one of the write's actions (not only other transactions). */
export const conditionFailed = (failure: ConditionFailure): boolean =>
  failure.reasons.some((r) => r.conditionFailed);

/**
 * Whether DynamoDB cancelled a transaction only because another transaction held one of its items
 * (`TransactionConflict`, no failed condition): it wrote nothing and decided nothing.
 */
export function cancelledByConflict(error: unknown): boolean {
  const failure = conditionFailureOf(error);
  return (
    failure !== undefined &&
    !conditionFailed(failure) &&
    failure.reasons.some((r) => r.code === 'TransactionConflict')
  );
}

const COLLECTION_FULL = 'ItemCollectionSizeLimitExceeded';

/**
 * Whether DynamoDB refused a write because it would grow its partition's item collection (the items
 * of one partition key and their local-index entries) past 10 GB: a single write's
 * `ItemCollectionSizeLimitExceededException`, or a transaction cancelled for it with no failed
 * condition (a failed condition is the refusal its caller reads). Nothing was written.
 */
export function isCollectionFull(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | null;
  if (e?.name === `${COLLECTION_FULL}Exception`) return true;
  if (e?.name !== 'TransactionCanceledException' || !e.CancellationReasons) return false;
  const codes = e.CancellationReasons.map((r) => r.Code);
  return codes.includes(COLLECTION_FULL) && !codes.includes(CONDITION_FAILED);
}

/**
 * The cancellation reasons that decide nothing: another transaction held the item, DynamoDB throttled
 * it, or the action itself was fine (`None`).
 */
const CONTENTION = new Set([
  'None',
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/**
 * Whether a refusal is contention only: a transaction cancelled by other transactions or throttling,
 * with no failed condition (nothing was written, nothing decided; the same write may succeed later).
 */
export function contended(failure: ConditionFailure): boolean {
  return (
    !conditionFailed(failure) &&
    failure.reasons.some((r) => r.code !== 'None') &&
    failure.reasons.every((r) => CONTENTION.has(r.code))
  );
}

/**
 * The answer to a refused write whose only expected refusal is a failed condition: `refused` for
 * that, `'busy'` when contention alone cancelled it (callers answer a retryable CONFLICT), and any
 * other refusal is thrown as it came.
 */
export function refusedOrBusy<R>(refused: R): (failure: ConditionFailure) => R | 'busy' {
  return (failure) => {
    if (conditionFailed(failure)) return refused;
    if (contended(failure)) return 'busy';
    throw failure.error;
  };
}

/**
 * Awaits a conditional write; when DynamoDB refuses it (a failed condition, a cancelled
 * transaction) the answer is `onFailure(failure)`. Other errors are thrown.
 */
export async function ifConditionFails<T, F>(
  write: Promise<T>,
  onFailure: (failure: ConditionFailure) => F | Promise<F>,
): Promise<T | F> {
  try {
    return await write;
  } catch (error) {
    const failure = conditionFailureOf(error);
    if (!failure) throw error;
    return onFailure(failure);
  }
}
