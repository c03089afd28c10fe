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
 *
 * `refund` gives a charge back (its caller stored nothing for it): `count - amount` in the window the
 * charge landed in (`windowStart`, returned by `charge`) only, so bytes are never given to a later
 * window they were not charged to; a retried refund is refused by its own id like a charge.
 */
import { randomBytes } from 'node:crypto';
import type { Item } from './item.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

/** The budget of upload bytes requested (`requestUpload`). */
export const UPLOAD_BYTES = 'UPLOAD_BYTES';

/**
 * `charged`: the amount counts, in the window opened at `windowStart`; `over`: it would pass `max`
 * (`used` of it is used, the window ends in `retryAfterMs`), nothing was counted; `busy`: every
 * attempt lost a race with other writers at a window's turn, nothing was counted (retry in a moment).
 */
export type ChargeResult =
  | { readonly kind: 'charged'; readonly windowStart: number }
  | { readonly kind: 'over'; readonly used: number; readonly retryAfterMs: number }
  | { readonly kind: 'busy' };

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
    // More than the whole budget never fits (an absent item would otherwise take it whole).
    if (amount > max) return { kind: 'over', used: 0, retryAfterMs: windowMs };
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
      const opened = await this.open(userId, name, amount, req);
      if (opened.kind !== 'refused') return opened;
    }
    // Lost every race with other writers at a window's turn.
    return { kind: 'busy' };
  }

  /**
   * Gives back `amount` bytes charged in the window opened at `windowStart` (module comment). False
   * when nothing was given back: the window has turned since (it no longer holds the charge), or a
   * retry of this refund had landed.
   */
  async refund(userId: string, name: string, amount: number, windowStart: number): Promise<boolean> {
    return ifConditionFails(
      this.table
        .update({
          Key: keys.rateLimit(userId, name),
          UpdateExpression: 'SET #c = #c - :k, #l = :id',
          ConditionExpression: '#w = :w AND #c >= :k AND #l <> :id',
          ExpressionAttributeNames: { '#w': 'windowStart', '#c': 'count', '#l': 'lease' },
          ExpressionAttributeValues: { ':k': amount, ':w': windowStart, ':id': writeId() },
        })
        .then(() => true),
      () => false,
    );
  }

  /** `count + amount` within the current window (or a new item); else the old item. */
  private add(userId: string, name: string, amount: number, req: ChargeRequest): Promise<Attempt> {
    const id = writeId();
    return this.write(id, req.nowMs, {
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
    return this.write(id, req.nowMs, {
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

  /**
   * One conditional write: charged (in the window it returns, else the one opened `nowMs`), or
   * refused with the old item (unless it holds this write's id: then charged in that item's window).
   */
  private write(id: string, nowMs: number, update: Parameters<TableClient['update']>[0]): Promise<Attempt> {
    const charged = (item: Item | undefined): Attempt => {
      const start = item?.windowStart;
      return { kind: 'charged', windowStart: typeof start === 'number' ? start : nowMs };
    };
    return ifConditionFails(
      this.table
        .update({ ...update, ReturnValues: 'UPDATED_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })
        .then(charged),
      (failure): Attempt => {
        const item = failure.reasons[0]?.item;
        return item?.lease === id ? charged(item) : { kind: 'refused', item };
      },
    );
  }
}
