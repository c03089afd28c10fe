/** Item kinds of reactions, audit records, reports and deactivations (items.ts re-exports them). */
import { defineItem, field, type RecordOf } from './item.ts';
import { keys, reactionKey } from './keys.ts';
import { auditKey, reportedKey, reportKey } from './keys-moderation.ts';

interface ReactionRef {
  readonly chatId: string;
  readonly seq: number;
  readonly userId: string;
  readonly emoji: string;
}
/** One user's emoji on one message (its keys say everything; it stores when it was added). */
export const REACTION = defineItem({
  itemType: 'reaction',
  key: (r: ReactionRef) => reactionKey(r.chatId, r.seq, r.userId, r.emoji),
  fields: { reactedAt: field.string },
});
export type { ReactionRef };

/**
 * An administrator action that needed the role (removeMember, deleteMessage, deleteChat), and the
 * administrators' own actions on a user (deactivateUser, reactivateUser, deleteUser: no chat), and
 * a user's deletion of their own account (deleteAccount: the user is the actor).
 */
export const AUDIT_ACTIONS = [
  'removeMember',
  'deleteMessage',
  'deleteChat',
  'deactivateUser',
  'reactivateUser',
  'deleteUser',
  'deleteAccount',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const auditFields = {
  auditId: field.string,
  /** ISO 8601 UTC, milliseconds: when it was done (also the partition and sort key). */
  at: field.string,
  /** Who: the administrator's user id. */
  actorId: field.string,
  /** What. */
  action: field.oneOf(AUDIT_ACTIONS, 'deleteChat'),
  /** The target: the chat (null for an action on a user), and the member or message acted on. */
  chatId: field.nullableString,
  userId: field.nullableString,
  messageId: field.nullableString,
  /** An account's deletion (deleteAccount, deleteUser) that erases the user's messages: true. */
  eraseMessages: field.optionalTrue,
};
/** One administrator action (who, what, when, target); kept (no TTL). See `auditKey`. */
export const AUDIT = defineItem({
  itemType: 'audit',
  key: (a) => auditKey(a.at, a.auditId),
  fields: auditFields,
});
export type AuditRecord = RecordOf<typeof auditFields>;

const reportFields = {
  reportId: field.string,
  chatId: field.string,
  messageId: field.string,
  reporterId: field.string,
  reason: field.string,
  createdAt: field.string,
};
/** A report of a message, for administrators (`listReports`). */
export const REPORT = defineItem({
  itemType: 'report',
  key: (r) => reportKey(r.createdAt, r.reportId),
  fields: reportFields,
});
export type ReportRecord = RecordOf<typeof reportFields>;

interface ReportedRef {
  readonly chatId: string;
  readonly seq: number;
  readonly reporterId: string;
}
/** That a user reported a message, and the report it made (so a second report returns it). */
export const REPORTED = defineItem({
  itemType: 'reported',
  key: (r: ReportedRef) => reportedKey(r.chatId, r.seq, r.reporterId),
  fields: { reportId: field.string, createdAt: field.string },
});
export type { ReportedRef };

const deactivationFields = {
  userId: field.string,
  /** When an administrator deactivated the user (ISO 8601 UTC), and who. */
  deactivatedAt: field.string,
  actorId: field.string,
  /**
   * The account's tombstone (`deleteAccount`, an administrator's `deleteUser`): when it was deleted.
   * Kept for good, and `reactivateUser` refuses to remove a mark that has it.
   */
  deletedAt: field.optionalString,
  /**
   * Some deletion of the account asked to erase the user's messages (set only to true, never back):
   * every job of the deletion reads it and erases when it or the job says so.
   */
  eraseMessages: field.optionalTrue,
};
/**
 * "An administrator deactivated this user" (`deactivateUser`, until `reactivateUser`): the
 * authorizer refuses their `$connect`, the dispatcher posts none of their scheduled messages, the
 * push planner sends them nothing. Kept (no TTL). With `deletedAt`, the account's tombstone
 * (lambdas/domain/account-deletion.ts): the same refusals, for good.
 */
export const DEACTIVATION = defineItem({
  itemType: 'deactivation',
  key: (d: { readonly userId: string }) => keys.deactivated(d.userId),
  fields: deactivationFields,
});
export type DeactivationRecord = RecordOf<typeof deactivationFields>;
