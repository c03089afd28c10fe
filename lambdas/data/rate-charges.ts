/**
 * Charging frames to a rate-limit window after the fact (lambdas/data/rate-limits.ts holds the
 * windows): an expensive read, or a write that read a lot, counts as the frames its read units are
 * worth (lambdas/shared/rate-limiter.ts `chargeReads`), once it has read them (and, a write, done
 * what it did). A charge is never refused:
 * it adds to the current window's `count` (or opens a window with it), even past `max`. What goes
 * past `max` is a debt, paid in time: the window is pushed later by the share of a window the debt
 * is worth (`max` frames a window), its count left at `max`, so every lease of it is refused until
 * then, on every instance. So whatever number of expensive frames a user gets admitted at once (a
 * burst across many instances, each with a frame of its lease), the frames charged average at most
 * `max` a window over time.
 *
 * Two writes at most: the charge (UpdateItem), and the push only when it overdrew the window
 * (conditional on the window as the charge left it: a later charge that overdrew it too pushes it
 * with the whole debt). A charge retried after its answer was lost counts twice (stricter, never
 * looser).
 *
 * The item of an action with a daily byte budget also keeps the day's count (rate-limits.ts), and
 * lives a window past the day's end so that a pause keeps it: a charge of such an action (`daily`)
 * sets that expiry too, never the earlier one of its window alone (DynamoDB's TTL would delete the
 * item, and the count with it, minutes into a pause).
 */
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export interface ChargeRequest {
  readonly max: number;
  readonly windowMs: number;
  readonly nowMs: number;
  /** Frames to add to the window (>= 1). */
  readonly frames: number;
  /** The item keeps a day's byte count too (a limit with `bytesPerDay`): it expires after the day. */
  readonly daily?: boolean;
}

/** The window a charge went to, after it: its start (pushed when overdrawn) and count (<= max). */
export interface Charged {
  readonly windowStart: number;
  readonly count: number;
}

const ATTEMPTS = 4;
const names = { '#w': 'windowStart', '#c': 'count', '#ttl': TTL_ATTRIBUTE };
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When a rate-limit item may expire (its TTL, epoch seconds): two windows after its window opened at
 * `startMs`; one that keeps the byte count of the UTC day of `dayOfMs`, not before a window past
 * that day's end.
 */
export function expiryOf(startMs: number, windowMs: number, dayOfMs?: number): number {
  const window = Math.ceil((startMs + 2 * windowMs) / 1000);
  if (dayOfMs === undefined) return window;
  const dayEnd = (Math.floor(dayOfMs / DAY_MS) + 1) * DAY_MS;
  return Math.max(window, Math.ceil((dayEnd + windowMs) / 1000));
}

/** Adds `frames` to `userId`'s current window of `action` (or opens one), then settles any debt. */
export async function chargeWindow(
  table: TableClient,
  userId: string,
  action: string,
  req: ChargeRequest,
): Promise<Charged> {
  const { windowMs, nowMs, frames, daily } = req;
  const Key = keys.rateLimit(userId, action);
  const since = nowMs - windowMs;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const added = await ifConditionFails(
      table
        .update({
          Key,
          UpdateExpression: 'SET #c = #c + :n',
          ConditionExpression: '#w > :since',
          ExpressionAttributeNames: { '#w': names['#w'], '#c': names['#c'] },
          ExpressionAttributeValues: { ':n': frames, ':since': since },
          ReturnValues: 'ALL_NEW',
        })
        .then((item) => ({ start: Number(item?.windowStart), count: Number(item?.count) })),
      () => undefined,
    );
    if (added) return settle(table, Key, added, req);
    const opened = await ifConditionFails(
      table
        .update({
          Key,
          UpdateExpression: 'SET #w = :now, #c = :n, #ttl = :ttl REMOVE #l',
          ConditionExpression: 'attribute_not_exists(#w) OR #w <= :since',
          ExpressionAttributeNames: { ...names, '#l': 'lease' },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ':n': frames,
            ':since': since,
            ':ttl': expiryOf(nowMs, windowMs, daily ? nowMs : undefined),
          },
        })
        .then(() => ({ start: nowMs, count: frames })),
      () => undefined,
    );
    if (opened) return settle(table, Key, opened, req);
  }
  // Lost every race (another instance kept opening and ending windows): nothing charged.
  return { windowStart: nowMs, count: 0 };
}

/** Pushes an overdrawn window later by the debt's share of a window, its count back to `max`. */
async function settle(
  table: TableClient,
  Key: ReturnType<typeof keys.rateLimit>,
  window: { start: number; count: number },
  { max, windowMs, nowMs, daily }: ChargeRequest,
): Promise<Charged> {
  if (window.count <= max) return { windowStart: window.start, count: window.count };
  const pushed = window.start + Math.ceil(((window.count - max) * windowMs) / max);
  // Refused: another charge moved the window since, and settles the debt, this one's included.
  await ifConditionFails(
    table.update({
      Key,
      UpdateExpression: 'SET #w = :pushed, #c = :max, #ttl = :ttl',
      ConditionExpression: '#w = :start AND #c = :count',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':pushed': pushed,
        ':max': max,
        ':ttl': expiryOf(pushed, windowMs, daily ? nowMs : undefined),
        ':start': window.start,
        ':count': window.count,
      },
    }),
    () => undefined,
  );
  return { windowStart: pushed, count: max };
}
