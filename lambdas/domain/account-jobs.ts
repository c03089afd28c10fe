/**
 * The job that finishes an account's deletion off the request path (`deleteAccount`, an
 * administrator's `deleteUser`: lambdas/domain/account-deletion.ts). The request writes the
 * tombstone and does what is bounded by the user's own caps (schedules, devices, sockets, profile),
 * then queues this job on the retention queue (lambdas/domain/retention-jobs.ts); the retention
 * worker leaves the user's chats (erasing their messages first when asked) and removes their
 * blocks, a budget at a time, queuing the rest as a continuation of the same kind.
 */
import type { RetentionKey } from '../data/retention.ts';
import type { RETENTION_JOB_VERSION } from './retention-jobs.ts';

export interface DeleteAccountJob {
  readonly v: typeof RETENTION_JOB_VERSION;
  readonly kind: 'deleteAccount';
  readonly userId: string;
  /** Mark each of the user's messages deleted (as `deleteMessage` does) before leaving its chat. */
  readonly eraseMessages: boolean;
  /** A continuation: the chat whose messages were being erased when the last job stopped… */
  readonly chatId?: string;
  /** …and where in its partition to go on (the messages Query's LastEvaluatedKey). */
  readonly startKey?: RetentionKey;
  /**
   * A continuation between chats: the memberships from the one after this chatId (the listing is in
   * chatId order), so a chat the chain could not leave is not visited again by it. Never with `chatId`
   * (which is itself where the listing goes on after its chat).
   */
  readonly afterChatId?: string;
  /**
   * The final pass: queued once, delayed, when a chain ends; it does the job again and the request's
   * bounded steps (schedules, devices, sockets, profile, badge) for what landed meanwhile, and queues
   * no final pass itself (its continuations carry it too).
   */
  readonly final?: true;
}

/** A job's step failed: the chat it was in (none: a step outside the chats), for its log line. */
export class AccountJobStepFailed extends Error {
  constructor(
    readonly chatId: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`an account deletion's step failed${chatId === undefined ? '' : ` in chat ${chatId}`}`);
  }
}
