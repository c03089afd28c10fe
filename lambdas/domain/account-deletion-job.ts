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
 * A message is not started when the time used and the last message's duration would pass the time
 * budget. Continuations between chats carry `afterChatId` (the membership listing is in chatId
 * order), so no chat is visited twice by one chain; every job does at least one step, so a chain of
 * them always ends. A chat that cannot be left now (its deletion marked with memberships remaining, a
 * group being created in steps before its `META`) is skipped, logged.
 *
 * Each job first reads the tombstone (consistent): it erases when the job or the tombstone says so
 * (any deletion call that asked). When a chain ends it queues one final pass (`final: true`), delayed
 * by the retention finish delay: the whole job again, then the request's bounded steps
 * (account-deletion.ts `endAccount`: schedules, devices, sockets, profile, badge), for what landed
 * after the chain or the request listed it (an invite or createChat checked before the tombstone, a
 * membership the index had not shown yet, a registerDevice or scheduleMessage on a socket still open
 * during the request, a `$connect` in flight). The final pass closes the user's sockets first (one
 * the request missed could otherwise make a chat after its listing) and queues no other pass; what
 * it leaves busy fails it, for SQS to deliver it again.
 *
 * Idempotent: a message already deleted is filtered out (or refused by deleteMessage's guard), a chat
 * left already is skipped (a consistent lookup of the membership and META before its messages are
 * read: the membership index lags a leave), and leaving or deleting in it again is NOT_FOUND, taken
 * as done; removing a block that is gone writes nothing. SQS may so deliver a job twice. A job that throws is
 * delivered again, and after 5 receives it is in the retention dead-letter queue (docs/operations.md).
 */
import { chatPk, PREFIX } from '../data/keys.ts';
import type { RetentionKey } from '../data/retention.ts';
import type { Caller } from '../shared/caller.ts';
import { isChatError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { leftUndone } from './access-end.ts';
import { endAccount } from './account-deletion.ts';
import { AccountJobStepFailed, type DeleteAccountJob } from './account-jobs.ts';
import { unblockUser } from './blocking.ts';
import { removeMember } from './chats.ts';
import type { Deps } from './deps.ts';
import { deleteMessage } from './messages.ts';
import { RETENTION_JOB_VERSION, type RetentionBudget } from './retention-jobs.ts';

const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/**
 * The deletion job a queue message carries, or undefined when the body is none (or a malformed
 * one: the worker then drops it and logs it, never runs it). A `startKey` needs its `chatId` and
 * must be a message key of that chat's partition; `afterChatId` goes without `chatId`; `final` is
 * `true` or absent.
 */
export function decodeDeleteAccountJob(body: string): DeleteAccountJob | undefined {
  let job: Record<string, unknown> | null;
  try {
    job = JSON.parse(body) as Record<string, unknown> | null;
  } catch {
    return undefined;
  }
  if (job === null || typeof job !== 'object' || job.kind !== 'deleteAccount') return undefined;
  const { userId, eraseMessages, chatId, startKey, afterChatId, final } = job;
  if (job.v !== RETENTION_JOB_VERSION || !nonEmpty(userId) || typeof eraseMessages !== 'boolean')
    return undefined;
  if (final !== undefined && final !== true) return undefined;
  const base: DeleteAccountJob = {
    v: RETENTION_JOB_VERSION,
    kind: 'deleteAccount',
    userId,
    eraseMessages,
    ...(final ? { final } : {}),
  };
  if (afterChatId !== undefined) {
    const alone = nonEmpty(afterChatId) && chatId === undefined && startKey === undefined;
    return alone ? { ...base, afterChatId } : undefined;
  }
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
  /** Chats it could not leave now (logged; the final pass tries again). */
  readonly chatsSkipped: number;
  readonly blocksRemoved: number;
  /** A continuation was queued (the rest is its). */
  readonly continued: boolean;
  /** The chain ended: its final pass queued (a final pass: its bounded steps done). */
  readonly final: boolean;
}

const isNotFound = (error: unknown) => isChatError(error) && error.code === 'NOT_FOUND';

/** Where a chat's steps stopped: done (or gone for the user, or skipped), or the continuation is queued. */
type ChatOutcome = 'done' | 'continued';

/** Where a continuation goes on: in a chat's messages, or after a chat of the listing. */
type ContinueAt =
  | { chatId: string; startKey: RetentionKey | undefined }
  | { afterChatId: string | undefined };

/**
 * Runs one job (module comment) within `budget`, from its continuation's chat (if any), then the
 * user's memberships after it, then their blocks, then the final pass's queuing or its bounded steps.
 * Throws when a step failed (nothing after it done: `AccountJobStepFailed`, naming its chat) or the
 * continuation could not be queued: SQS delivers the job again.
 */
export async function runDeleteAccountJob(
  deps: Deps,
  job: DeleteAccountJob,
  budget: RetentionBudget,
  clock: () => number = Date.now,
): Promise<AccountJobReport> {
  let at: string | undefined;
  try {
    return await runSteps(deps, job, budget, clock, (chatId) => {
      at = chatId;
    });
  } catch (error) {
    throw new AccountJobStepFailed(at, error);
  }
}

async function runSteps(
  deps: Deps,
  job: DeleteAccountJob,
  budget: RetentionBudget,
  clock: () => number,
  inChat: (chatId: string | undefined) => void,
): Promise<AccountJobReport> {
  const queue = deps.retentionQueue;
  if (!queue) throw new Error('no retention queue for an account deletion’s continuation');
  const { userId } = job;
  const started = clock();
  // Any deletion call that asked to erase marked the tombstone (account-deletion.ts).
  const tombstone = await deps.store.deactivations.get(userId);
  const eraseMessages = job.eraseMessages || tombstone?.eraseMessages === true;
  const caller: Caller = { userId, name: '', admin: false };
  let steps = 0;
  let lastMessageMs = 0;
  const done = { messagesErased: 0, chatsLeft: 0, chatsSkipped: 0, blocksRemoved: 0 };
  // Every job does a step before it may hand the rest on: a chain always advances.
  const worked = () =>
    steps + done.messagesErased + done.chatsLeft + done.chatsSkipped + done.blocksRemoved > 0;
  const outOfTime = () => clock() - started >= budget.budgetMs;
  const spent = () => worked() && (steps >= budget.maxPages || outOfTime());
  const base: DeleteAccountJob = {
    v: RETENTION_JOB_VERSION,
    kind: 'deleteAccount',
    userId,
    eraseMessages,
    ...(job.final ? { final: true } : {}),
  };
  const report = (end: 'continued' | 'done', final = false): AccountJobReport => ({
    ...done,
    continued: end === 'continued',
    final,
  });
  const continueAt = async (where: ContinueAt) => {
    const rest =
      'chatId' in where
        ? { ...base, chatId: where.chatId, ...(where.startKey ? { startKey: where.startKey } : {}) }
        : { ...base, ...(where.afterChatId !== undefined ? { afterChatId: where.afterChatId } : {}) };
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
        // Not started when it would pass the time budget (one message may be many writes and posts).
        const begun = clock();
        if (done.messagesErased > 0 && begun - started + lastMessageMs >= budget.budgetMs) {
          return continueAt({ chatId, startKey: from });
        }
        try {
          await deleteMessage(deps, caller, { chatId, messageId: message.messageId });
        } catch (error) {
          // The chat was deleted, or the user left it, since the page: nothing more to erase there.
          if (isNotFound(error)) return 'done';
          throw error;
        }
        lastMessageMs = clock() - begun;
        done.messagesErased++;
        from = message.key;
      }
      if (!page.next) return 'done';
      from = page.next;
    }
  };

  /**
   * A chat's steps, only while a member and the chat can be left (one consistent BatchGet of the
   * membership and META: the index lags a leave): the messages erased when asked, then the leave.
   */
  const finishChat = async (chatId: string, startKey?: RetentionKey): Promise<ChatOutcome> => {
    inChat(chatId);
    const { member, chat } = await deps.store.chats.getMemberAndChat(chatId, userId);
    if (!member) return 'done';
    if (!chat || chat.deletedAt !== undefined) {
      done.chatsSkipped++;
      logger.warn('an account deletion skips a chat it cannot leave now; its final pass tries again', {
        userId,
        chatId,
        reason: chat ? 'its deletion is marked' : 'no META (a group being created)',
      });
      return 'done';
    }
    if (eraseMessages && (await erase(chatId, startKey)) === 'continued') return 'continued';
    try {
      await removeMember(deps, caller, { chatId, userId });
      done.chatsLeft++;
    } catch (error) {
      if (!isNotFound(error)) throw error; // left (or deleted) meanwhile: done
    }
    steps++;
    return 'done';
  };

  let cursor = job.chatId ?? job.afterChatId;
  if (job.final && cursor === undefined) {
    // The final pass closes the user's sockets before it lists their chats: one the request missed
    // (a `$connect` in flight, its own socket whose close failed) could otherwise make a chat after
    // the listing, which nothing would leave. What it leaves undone is reported at its end.
    await endAccount(deps, userId);
  }
  if (job.chatId !== undefined && (await finishChat(job.chatId, job.startKey)) === 'continued') {
    return report('continued');
  }
  // Done with that chat: a failure from here on names none (or the next one's).
  inChat(undefined);
  const memberships = (await deps.store.chats.listMemberships(userId))
    .map((m) => m.chatId)
    .filter((chatId) => cursor === undefined || chatId > cursor)
    .sort();
  for (const chatId of memberships) {
    if (spent()) return report(await continueAt({ afterChatId: cursor }));
    if ((await finishChat(chatId)) === 'continued') return report('continued');
    inChat(undefined);
    cursor = chatId;
  }
  inChat(undefined);
  // Then the user's blocks, a page at a time (consistent: a page removed is gone).
  for (;;) {
    if (spent()) return report(await continueAt({ afterChatId: cursor }));
    const page = await deps.store.blocks.listPage(userId, budget.pageSize);
    steps++;
    for (const blockedId of page.userIds) {
      if (done.blocksRemoved > 0 && outOfTime()) return report(await continueAt({ afterChatId: cursor }));
      await unblockUser(deps, caller, { userId: blockedId });
      done.blocksRemoved++;
    }
    if (page.next === undefined) break;
  }
  if (!job.final) {
    // The chain ends: once more after the finish delay, for what landed meanwhile (module comment).
    await queue.send({ ...base, final: true }, { delayed: true });
    return report('done', true);
  }
  const left = leftUndone(await endAccount(deps, userId));
  if (left.length > 0) throw new Error(`the final pass left ${left.join(', ')}`);
  return report('done', true);
}
