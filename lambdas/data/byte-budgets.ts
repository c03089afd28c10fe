/**
 * Per-user byte budgets (`LIMIT#<userId>`, sort key the budget's name: `UPLOAD_BYTES`, the bytes of
 * uploads requested): like a rate-limit window (rate-limits.ts), a fixed window anchored at its
 * first charge, holding `windowStart` (epoch ms) and `count` (the bytes charged in it), with a TTL
 * two windows after it opened. `charge` adds an amount all or nothing:
 *
 * - add: `count + amount` if the window is current and `count + amount <= max`; an absent item is
 *   created with `count = amount` by the same write (1 write: the usual case);
 * - refused: the old item (returned with the refusal) tells whether the window is current (then the
 *   charge is `over`, until the window ends) or over (then a new one opens with `count = amount`).
 *
 * Each write stores its own random id (`lease`), and add is conditional on the item not holding it:
 * a retry (by the SDK) of a write that landed is refused and finds its id, so it counts once.
 */
import { randomBytes } from 'node:crypto';
import type { Item } from './item.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

/** The budget of upload bytes requested (`requestUpload`). */
export const UPLOAD_BYTES = 'UPLOAD_BYTES';

/** `charged`: the amount counts; `over`: it would pass `max`, nothing was counted. */
export type ChargeResult =
  | { readonly kind: 'charged' }
  | { readonly kind: 'over'; readonly used: number; readonly retryAfterMs: number };

export interface ChargeRequest {
  readonly max: number;
  readonly windowMs: number;
  readonly nowMs: number;
}

type Attempt = ChargeResult | { readonly kind: 'refused'; readonly item: Item | undefined };

const ATTEMPTS = 3;
const names = { '#w': 'windowStart', '#c': 'count', '#l': 'lease', '#ttl': TTL_ATTRIBUTE };
const writeId = () => randomBytes(9).toString('base64url');
const ttlOf = (nowMs: number, windowMs: number) => Math.ceil((nowMs + 2 * windowMs) / 1000);

export class ByteBudgetRepository {
  constructor(private readonly table: TableClient) {}

  /** Charges `amount` bytes to `userId`'s budget `name` (module comment): one write, two at a window's turn. */
  async charge(userId: string, name: string, amount: number, req: ChargeRequest): Promise<ChargeResult> {
    const { max, windowMs, nowMs } = req;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const added = await this.add(userId, name, amount, req);
      if (added.kind !== 'refused') return added;
      const start = added.item?.windowStart;
      const used = added.item?.count;
      if (typeof start === 'number' && typeof used === 'number' && start > nowMs - windowMs) {
        // Clamped: another instance may have opened the window a moment "after" this clock.
        const retryAfterMs = Math.min(windowMs, Math.max(1, Math.ceil(start + windowMs - nowMs)));
        return { kind: 'over', used, retryAfterMs };
      }
      if (amount > max) return { kind: 'over', used: 0, retryAfterMs: windowMs };
      const opened = await this.open(userId, name, amount, req);
      if (opened.kind !== 'refused') return opened;
    }
    // Lost every race with other writers at a window's turn: counted as over, retried soon.
    return { kind: 'over', used: max, retryAfterMs: 1_000 };
  }

  /** `count + amount` within the current window (or a new item); else the old item. */
  private add(userId: string, name: string, amount: number, req: ChargeRequest): Promise<Attempt> {
    const id = writeId();
    return this.write(id, {
      Key: keys.rateLimit(userId, name),
      UpdateExpression:
        'SET #c = if_not_exists(#c, :zero) + :k, #w = if_not_exists(#w, :now), #ttl = if_not_exists(#ttl, :ttl), #l = :id',
      ConditionExpression:
        '(attribute_not_exists(#w) OR (#w > :since AND #c <= :room)) AND (attribute_not_exists(#l) OR #l <> :id)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':zero': 0,
        ':k': amount,
        ':now': req.nowMs,
        ':since': req.nowMs - req.windowMs,
        ':room': req.max - amount,
        ':ttl': ttlOf(req.nowMs, req.windowMs),
        ':id': id,
      },
    });
  }

  /** A new window with `count = amount`, if none is current; else the old item. */
  private open(userId: string, name: string, amount: number, req: ChargeRequest): Promise<Attempt> {
    const id = writeId();
    return this.write(id, {
      Key: keys.rateLimit(userId, name),
      UpdateExpression: 'SET #w = :now, #c = :k, #ttl = :ttl, #l = :id',
      ConditionExpression: 'attribute_not_exists(#w) OR #w <= :since',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':now': req.nowMs,
        ':k': amount,
        ':since': req.nowMs - req.windowMs,
        ':ttl': ttlOf(req.nowMs, req.windowMs),
        ':id': id,
      },
    });
  }

  /** One conditional write: charged, or refused with the old item (unless it holds this write's id). */
  private write(id: string, update: Parameters<TableClient['update']>[0]): Promise<Attempt> {
    return ifConditionFails(
      this.table
        .update({ ...update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })
        .then((): Attempt => ({ kind: 'charged' })),
      (failure): Attempt => {
        const item = failure.reasons[0]?.item;
        return item?.lease === id ? { kind: 'charged' } : { kind: 'refused', item };
      },
    );
  }
}
