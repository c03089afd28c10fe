/**
 * Who hears of a member's receipt (`message.read`, `message.delivered`). Every receipt fanned out to
 * every member costs about N² posts per message in a group of N (each member marks it delivered and
 * read, and each of those goes to every member): 2 million posts per message at 1,000 members,
 * against 999 for the message itself. So, as the big chat services do (Sendbird sends no read or
 * delivery receipts in its Supergroup channels; Stream Chat throttles read events from 100
 * watchers on and returns the read state of at most 100 members: docs/protocol.md, "Receipts in big
 * groups"), receipts fan out only in a chat that lists every member (a direct chat, or a group of
 * at most `LIMITS.chatMembersMax` members: the Chat's own limit, beyond which no client holds every
 * member's cursors, so none can tell "read by everyone" from them) and whose roster lists at most
 * `RECEIPT_MAX_SOCKETS` open sockets: the posts follow the sockets, not the members, and 200 members
 * with 10 sockets each would draw 2,000 posts a receipt, about 800,000 a message. The roster is read
 * only that far (consistently, pages of 201 entries: lambdas/data/rosters.ts `listUpTo`, about 5
 * read units), and what it lists is the fan-out's sockets: one read, where the fan-out read the whole
 * roster (up to 2,000 entries, ~50 units). Otherwise:
 *
 * - `message.read` goes to the reader's own sockets only (their devices agree on what is unread),
 *   found by one Query of the reader's connections rather than the group's whole roster;
 * - `message.delivered` goes to nobody (it never goes to the reader's own sockets);
 * - the cursors are still stored: `getChat` lists them (docs/protocol.md, Chat), which is how the
 *   members of a group with that many sockets online learn of the others' receipts.
 *
 * A roster that cannot be read (throttled) does not lose the receipt, whose cursor has moved (a
 * repeated call announces nothing): the reader's own sockets get a `message.read` at once (looked up
 * as above), and the receipt goes to the fan-out worker as one job naming the chat and the reader
 * (jobs.ts `planReceiptJob`; one the queue refuses is logged and counted in FanOutFailures), without reading the members (a failed read there answered an error after
 * the cursor had moved, and queued nothing). The worker reads the roster again, once, applies the
 * same socket rule to it (at most `RECEIPT_MAX_SOCKETS` listed, else nobody), and posts to its
 * sockets but the reader's; while that read fails SQS delivers the job again (lambdas/fanout/worker.ts),
 * then the dead-letter queue. Unlike the request it has no member list to check the roster against:
 * a socket the roster lists of someone no longer a member (a `$connect` racing their removal:
 * lambdas/data/rosters.ts) may get it. The member rule was applied before, on the chat's `memberCount`.
 *
 * A receipt never reaches the users the reader has blocked (blocked-audience.ts): in a group the
 * reader's block list is read (0.5 read unit; a long list at most about 0.5 + 0.5 per user listed)
 * once the roster lists another user's socket, and those users' sockets are left out; the worker
 * does the same with the roster it reads. A block list that cannot be read hands the receipt to the
 * worker as an unreadable roster does; a direct chat's (read only when it predates the blocks'
 * mirror) too: the reader's own sockets are told at once, and the other member through a job naming
 * them and the reader, whose list the worker reads before it looks them up.
 */
import type { ChatRecord } from '../data/store.ts';
import type { Target } from '../fanout/fanout.ts';
import { type FanOutJob, planBlockedLookupJob, planReceiptJob } from '../fanout/jobs.ts';
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { putMetrics } from '../shared/metrics.ts';
import { blockedByActor } from './blocked-audience.ts';
import type { Deps } from './deps.ts';
import { LIMITS } from './limits.ts';

/** More open sockets than this in a group's roster: its receipts do not fan out (module comment). */
export const RECEIPT_MAX_SOCKETS = 200;

/** Whether a chat's receipts may fan out by its member count alone (module comment). */
export const receiptsToMembers = (chat: Pick<ChatRecord, 'kind' | 'memberCount'>): boolean =>
  chat.kind === 'direct' || chat.memberCount <= LIMITS.chatMembersMax;

type Audience = () => Promise<readonly string[]>;
/** `message.read` or `message.delivered`: `userId` is the reader's (the caller's). */
type ReceiptFrame = Frame & { readonly userId: string };

/**
 * Posts a receipt to the sockets of `audience`'s users (asked for only when it fans out), when the
 * chat's receipts fan out (module comment); else to `own`'s sockets only, when given (the reader's,
 * of a `message.read`).
 */
export async function fanOutReceipt(
  deps: Deps,
  chat: ChatRecord,
  audience: Audience,
  frame: ReceiptFrame,
  own?: string,
): Promise<void> {
  if (chat.kind === 'direct') {
    await toDirectChat(deps, chat, await audience(), frame);
    return;
  }
  const told = receiptsToMembers(chat) && (await groupSockets(deps, chat, audience, frame));
  if (told) await deps.fanOut.toUsers(told.userIds, frame, { chat, sockets: told.sockets });
  else if (own !== undefined) await deps.fanOut.toUsers([own], frame);
}

/**
 * Tells a direct chat's `userIds` but the member the reader has blocked (blocked-audience.ts). Their
 * block list unreadable (read only in a chat older than the mirror), the reader's own sockets at once
 * (when among `userIds`: a `message.read`) and the other member through the fan-out worker, which
 * reads the list again before it looks them up (jobs.ts `planBlockedLookupJob`), as a group's
 * receipt goes to the worker (module comment).
 */
async function toDirectChat(
  deps: Deps,
  chat: ChatRecord,
  userIds: readonly string[],
  frame: ReceiptFrame,
): Promise<void> {
  let blocked: Set<string>;
  try {
    blocked = await blockedByActor(deps, frame.userId, chat, userIds);
  } catch (error) {
    const own = userIds.filter((id) => id === frame.userId);
    if (own.length > 0) await deps.fanOut.toUsers(own, frame, { chat });
    const others = userIds.filter((id) => id !== frame.userId);
    if (others.length > 0) {
      const job = planBlockedLookupJob(others, JSON.stringify(frame), frame.userId);
      await handToWorker(deps, chat.chatId, job, 'the reader’s blocks', error);
    }
    return;
  }
  await deps.fanOut.toUsers(
    userIds.filter((id) => !blocked.has(id)),
    frame,
    { chat },
  );
}

/**
 * `audience`'s users and their open sockets in the group but those the reader has blocked (their
 * block list read only when the roster lists someone else's socket: blocked-audience.ts); undefined
 * when the roster lists more than `RECEIPT_MAX_SOCKETS`, or when it or the block list cannot be read:
 * then the receipt is handed to the fan-out worker, which reads both again (module comment).
 */
async function groupSockets(
  deps: Deps,
  chat: ChatRecord,
  audience: Audience,
  frame: ReceiptFrame,
): Promise<{ userIds: string[]; sockets: Target[] } | undefined> {
  const { chatId } = chat;
  let listed: Target[] | undefined;
  try {
    listed = await deps.fanOut.directory.someSocketsOfGroup(chatId, RECEIPT_MAX_SOCKETS, {
      consistent: true,
    });
  } catch (error) {
    await handToWorker(deps, chatId, receiptJob(chatId, frame), 'the roster', error);
    return undefined;
  }
  if (!listed) return undefined;
  const userIds = new Set(await audience());
  // Entries of anyone not asked for are ignored, as the fan-out's own lookup does (fanout.ts).
  const sockets = listed.filter((t) => userIds.has(t.userId));
  try {
    const blocked = await blockedByActor(deps, frame.userId, chat, [
      ...new Set(sockets.map((t) => t.userId)),
    ]);
    const told = (id: string) => !blocked.has(id);
    return { userIds: [...userIds].filter(told), sockets: sockets.filter((t) => told(t.userId)) };
  } catch (error) {
    await handToWorker(deps, chatId, receiptJob(chatId, frame), 'the reader’s blocks', error);
    return undefined;
  }
}

/** A group's receipt as the worker's job: the roster to read again (module comment). */
const receiptJob = (chatId: string, frame: ReceiptFrame): FanOutJob =>
  planReceiptJob(chatId, JSON.stringify(frame), frame.userId, RECEIPT_MAX_SOCKETS);

/** Queues the receipt as one job for the worker (module comment); a refusal is logged and counted. */
async function handToWorker(
  deps: Deps,
  chatId: string,
  job: FanOutJob,
  unread: string,
  error: unknown,
): Promise<void> {
  logger.warn(`receipt: ${unread} could not be read; queued`, { chatId, error });
  await deps.fanOut.queueJob(job).catch((refused: unknown) => {
    putMetrics({ FanOutFailures: 1 });
    logger.error('receipt: not queued; the other members are not told', { chatId, error: refused });
  });
}
