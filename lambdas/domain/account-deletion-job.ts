/**
 * The retention worker's part of an account deletion (the job: account-jobs.ts; the request that
 * queues it: account-deletion.ts). With the user's tombstone written, nothing they could do is left
 * to race with it: the job, as the user (`{ userId, name: '', admin: false }`), reuses the actions'
 * own domain steps, one chat after another:
 *
 * - with `eraseMessages`, pages through the chat's messages (`store.messages.authoredPage`: the
 *   `MSG#` range with a filter on the sender) and deletes each as `deleteMessage` does (text emptied,
 *   attachments' bytes deleted, a new version, `message.deleted` to the members);
 * - then leaves it as `removeMember` of oneself does (ownership passes on, the last member's leave
 *   deletes the chat and queues its retention, a direct chat's peer stays alone, `member.left`);
 * - when no membership is left, removes the user's blocks as `unblockUser` does (the block mirror on
 *   a direct chat with the blocked user updated).
 *
 * Bounded like a retention job (config().retention: RETENTION_MAX_PAGES steps, a step being a page
 * of messages or of blocks read or a chat left, of RETENTION_PAGE_SIZE keys; RETENTION_BUDGET_MS or
 * 70 % of the invocation's time left): before its budget is spent it queues the rest as a
 * continuation of the same kind, `{ delayed: false }`, with `chatId` and `startKey` when it stopped in
 * the middle of a chat's messages (after the last message it deleted: that one is not read again).
 * Every job does at least one step, so a chain of them always ends.
 *
 * Idempotent: a message already deleted is filtered out (or refused by deleteMessage's guard), a chat
 * left already is skipped (a consistent key lookup of the membership before its messages are read:
 * the membership index lags a leave), and leaving or deleting in it again is NOT_FOUND, taken as done;
 * removing a block that is gone writes nothing. SQS may so deliver a job twice. A job that throws is
 * delivered again, and after 5 receives it is in the retention dead-letter queue (docs/operations.md).
 */
import { chatPk, PREFIX } from '../data/keys.ts';
import type { RetentionKey } from '../data/retention.ts';
import type { Caller } from '../shared/caller.ts';
import { isChatError } from '../shared/errors.ts';
import type { DeleteAccountJob } from './account-jobs.ts';
import { unblockUser } from './blocking.ts';
import { removeMember } from './chats.ts';
import type { Deps } from './deps.ts';
import { deleteMessage } from './messages.ts';
import { RETENTION_JOB_VERSION, type RetentionBudget } from './retention-jobs.ts';

const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/**
 * The deletion job a queue message carries, or undefined when the body is none (or a malformed
 * one: the worker then drops it and logs it, never runs it). A `startKey` needs its `chatId` and
 * must be a message key of that chat's partition.
 */
export function decodeDeleteAccountJob(body: string): DeleteAccountJob | undefined {
  let job: Record<string, unknown> | null;
  try {
    job = JSON.parse(body) as Record<string, unknown> | null;
  } catch {
    return undefined;
  }
  if (job === null || typeof job !== 'object' || job.kind !== 'deleteAccount') return undefined;
  const { userId, eraseMessages, chatId, startKey } = job;
  if (job.v !== RETENTION_JOB_VERSION || !nonEmpty(userId) || typeof eraseMessages !== 'boolean')
    return undefined;
  const base: DeleteAccountJob = { v: RETENTION_JOB_VERSION, kind: 'deleteAccount', userId, eraseMessages };
  if (chatId === undefined) return startKey === undefined ? base : undefined;
  if (!nonEmpty(chatId)) return undefined;
  if (startKey === undefined) return { ...base, chatId };
  const key = startKey as Partial<RetentionKey> | null;
  const inChat =
    key !== null &&
    typeof key === 'object' &&
    key.pk === chatPk(chatId) &&
    nonEmpty(key.sk) &&
    key.sk.startsWith(PREFIX.message);
  return inChat ? { ...base, chatId, startKey: { pk: key.pk as string, sk: key.sk as string } } : undefined;
}

/** What a job did (its log line). */
export interface AccountJobReport {
  readonly messagesErased: number;
  readonly chatsLeft: number;
  readonly blocksRemoved: number;
  /** A continuation was queued (the rest is its). */
  readonly continued: boolean;
}

const isNotFound = (error: unknown) => isChatError(error) && error.code === 'NOT_FOUND';

/** Where a chat's steps stopped: done (or gone for the user), or the continuation is queued. */
type ChatOutcome = 'done' | 'continued';

/**
 * Runs one job (module comment) within `budget`, from its continuation's chat (if any), then the
 * user's memberships, then their blocks. Throws when a step failed (nothing after it done) or the
 * continuation could not be queued: SQS delivers the job again.
 */
export async function runDeleteAccountJob(
  deps: Deps,
  job: DeleteAccountJob,
  budget: RetentionBudget,
  clock: () => number = Date.now,
): Promise<AccountJobReport> {
  const queue = deps.retentionQueue;
  if (!queue) throw new Error('no retention queue for an account deletion’s continuation');
  const { userId, eraseMessages } = job;
  const caller: Caller = { userId, name: '', admin: false };
  const started = clock();
  let steps = 0;
  const done = { messagesErased: 0, chatsLeft: 0, blocksRemoved: 0 };
  const worked = () => steps + done.messagesErased + done.chatsLeft + done.blocksRemoved > 0;
  const outOfTime = () => clock() - started >= budget.budgetMs;
  const spent = () => worked() && (steps >= budget.maxPages || outOfTime());
  const continueAt = async (at?: { chatId: string; startKey: RetentionKey | undefined }) => {
    const base: DeleteAccountJob = { v: RETENTION_JOB_VERSION, kind: 'deleteAccount', userId, eraseMessages };
    const rest = at
      ? { ...base, chatId: at.chatId, ...(at.startKey ? { startKey: at.startKey } : {}) }
      : base;
    await queue.send(rest, { delayed: false });
    return 'continued' as const;
  };

  /** The user's messages in the chat from `startKey`, each deleted as deleteMessage does. */
  const erase = async (chatId: string, startKey: RetentionKey | undefined): Promise<ChatOutcome> => {
    let from = startKey;
    for (;;) {
      if (spent()) return continueAt({ chatId, startKey: from });
      const page = await deps.store.messages.authoredPage(chatId, userId, {
        startKey: from,
        limit: budget.pageSize,
      });
      steps++;
      for (const message of page.messages) {
        // Within a page, time alone: a page's messages may be many deletes (and events) each.
        if (done.messagesErased > 0 && outOfTime()) return continueAt({ chatId, startKey: from });
        try {
          await deleteMessage(deps, caller, { chatId, messageId: message.messageId });
        } catch (error) {
          // The chat was deleted, or the user left it, since the page: nothing more to erase there.
          if (isNotFound(error)) return 'done';
          throw error;
        }
        done.messagesErased++;
        from = message.key;
      }
      if (!page.next) return 'done';
      from = page.next;
    }
  };

  /** A chat's steps: its messages erased when asked (only while still a member), then the leave. */
  const finishChat = async (chatId: string, startKey?: RetentionKey): Promise<ChatOutcome> => {
    if (eraseMessages) {
      // The membership index lags a leave: a chat left by an earlier job may be listed again, and
      // its messages are not read again for nothing (one consistent key lookup).
      if (!(await deps.store.chats.isMember(chatId, userId))) return 'done';
      if ((await erase(chatId, startKey)) === 'continued') return 'continued';
    }
    try {
      await removeMember(deps, caller, { chatId, userId });
      done.chatsLeft++;
    } catch (error) {
      if (!isNotFound(error)) throw error; // left (or deleted) meanwhile: done
    }
    steps++;
    return 'done';
  };

  const report = (end: ChatOutcome): AccountJobReport => ({ ...done, continued: end === 'continued' });
  if (job.chatId !== undefined && (await finishChat(job.chatId, job.startKey)) === 'continued') {
    return report('continued');
  }
  for (const { chatId } of await deps.store.chats.listMemberships(userId)) {
    if (chatId === job.chatId) continue;
    if (spent()) return report(await continueAt());
    if ((await finishChat(chatId)) === 'continued') return report('continued');
  }
  // No membership left: the user's blocks, a page at a time (consistent: a page removed is gone).
  for (;;) {
    if (spent()) return report(await continueAt());
    const page = await deps.store.blocks.listPage(userId, budget.pageSize);
    steps++;
    for (const blockedId of page.userIds) {
      if (done.blocksRemoved > 0 && outOfTime()) return report(await continueAt());
      await unblockUser(deps, caller, { userId: blockedId });
      done.blocksRemoved++;
    }
    if (page.next === undefined) return report('done');
  }
}
