/**
 * `listScheduled`: the caller's scheduled messages still to go out, soonest first (ties by
 * scheduledId), optionally of one chat, a page at a time. Up to 100 wait per user, each up to ~17 KB
 * (4,000 characters and ten attachments with signed URLs), so a page ends where one frame is full
 * (`reply-budget.ts`, as history, sync and listChats) and `nextCursor` (the order key of its last
 * message, base64url JSON, opaque to clients) goes on strictly after it.
 *
 * It reads only the waiting ones (the `SCHED#` range: finished ones are kept elsewhere), and the
 * `META` of their chats in one consistent BatchGetItem (at most 100 keys, by the cap): one whose chat
 * is gone (deleted, or being deleted) is not listed, and a pending one fails there and then with
 * `CHAT_DELETED`, as its dispatch would at `sendAt`, so it stops counting toward the cap at once and
 * its deleted attachments are not signed. No `scheduled.failed` is posted for those (the chat's own
 * deletion told the sockets); the uploads need no giving back (a deleted chat's media is deleted).
 */
import type { Scheduled } from '../contract/objects.ts';
import type { ScheduledRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { mapSettled } from '../shared/concurrency.ts';
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
  const waiting = (await deps.store.scheduled.listPending(caller.userId)).filter(
    (r) => input.chatId === undefined || r.chatId === input.chatId,
  );
  const records = (await withoutGoneChats(deps, waiting))
    .filter((r) => after === undefined || compare(after, r) < 0)
    .sort(compare);
  const views = await Promise.all(records.map((r) => scheduledView(deps, r)));
  const scheduled = fitting(views, REPLY_BUDGET_BYTES);
  const end = scheduled.length < views.length ? records[scheduled.length - 1] : undefined;
  return { scheduled, nextCursor: end ? encodeCursor(end) : null };
}

/**
 * The records whose chat still exists; the pending ones of a gone chat are failed (one at a time:
 * each moves the author's pending count; best effort: one not failed now fails at its `sendAt`).
 */
async function withoutGoneChats(deps: Deps, records: ScheduledRecord[]): Promise<ScheduledRecord[]> {
  if (records.length === 0) return records;
  const chats = await deps.store.chats.getChats([...new Set(records.map((r) => r.chatId))]);
  const isGone = (r: ScheduledRecord) => {
    const chat = chats.get(r.chatId);
    return !chat || chat.deletedAt !== undefined;
  };
  const gone = records.filter(isGone);
  const now = deps.now();
  // A `sending` one is its dispatcher's: it fails it itself.
  await mapSettled(
    gone.filter((r) => r.status === 'pending'),
    1,
    async (r) => {
      await deps.store.scheduled.failPending(r, 'CHAT_DELETED', now);
    },
  );
  return gone.length === 0 ? records : records.filter((r) => !isGone(r));
}
