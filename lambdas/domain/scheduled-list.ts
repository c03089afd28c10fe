/**
 * `listScheduled`: the caller's scheduled messages still to go out, soonest first (ties by
 * scheduledId), optionally of one chat, a page at a time. Up to 100 wait per user, each up to ~17 KB
 * (4,000 characters and ten attachments with signed URLs), so a page ends where one frame is full
 * (`reply-budget.ts`, as history, sync and listChats) and `nextCursor` (the order key of its last
 * message, base64url JSON, opaque to clients) goes on strictly after it.
 */
import type { Scheduled } from '../contract/objects.ts';
import type { Caller } from '../shared/caller.ts';
import type { Deps } from './deps.ts';
import { decodeKeyCursor, encodeKeyCursor } from './page-cursor.ts';
import { fitting, REPLY_BUDGET_BYTES } from './reply-budget.ts';
import { scheduledView } from './scheduled.ts';

interface OrderKey {
  readonly sendAt: string;
  readonly scheduledId: string;
}

const encodeCursor = (key: OrderKey) => encodeKeyCursor({ t: key.sendAt, s: key.scheduledId });

function decodeCursor(cursor: string): OrderKey {
  const { t, s } = decodeKeyCursor(cursor, ['t', 's'], 'listScheduled');
  return { sendAt: t, scheduledId: s };
}

const compare = (a: OrderKey, b: OrderKey) =>
  a.sendAt.localeCompare(b.sendAt) || a.scheduledId.localeCompare(b.scheduledId);

export async function listScheduled(
  deps: Deps,
  caller: Caller,
  input: { readonly chatId?: string | undefined; readonly cursor?: string | undefined },
): Promise<{ scheduled: Scheduled[]; nextCursor: string | null }> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const records = (await deps.store.scheduled.listPending(caller.userId))
    .filter((r) => input.chatId === undefined || r.chatId === input.chatId)
    .filter((r) => after === undefined || compare(after, r) < 0)
    .sort(compare);
  const views = await Promise.all(records.map((r) => scheduledView(deps, r)));
  const scheduled = fitting(views, REPLY_BUDGET_BYTES);
  const end = scheduled.length < views.length ? records[scheduled.length - 1] : undefined;
  return { scheduled, nextCursor: end ? encodeCursor(end) : null };
}
