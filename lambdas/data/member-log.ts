/**
 * The member log of big groups: every membership change of a group of `MEMBER_LOG_FROM` members or
 * more also writes one item (`CHAT#<id>` / `MLOG#<ver>`, in the change's own transaction) naming
 * what changed and the `memberVer` it was applied on, which its transaction requires. The log is
 * therefore a chain: a container whose cached member list is at version A, told by its allocation
 * that the chat is at B, reads the entries after A up to B (one Query, a few hundred bytes per
 * change) and replays them, instead of reading every member again (a group of 10,000:
 * 696 read units, docs/performance.md "A group of 10,000").
 *
 * A change of a smaller group writes no entry, entries expire after a day, and an entry committed
 * just now may not be visible yet: a chain with a gap (an entry whose `prevVer` is not the version
 * before it, or one missing at either end) is not replayed, and the caller reads the members as
 * before.
 */
import { defineItem, field, type RecordOf } from './item.ts';
import { byJoined, type ChatRecord, MEMBER, type MemberRecord } from './items.ts';
import { chatPk, keys, memberChangeSk, TTL_ATTRIBUTE } from './keys.ts';
import type { TableClient, TransactAction } from './table-client.ts';

/** Groups of this many members or more log their membership changes. */
export const MEMBER_LOG_FROM = 100;
/** How long an entry is kept: far longer than a container keeps a chat's head unused. */
export const MEMBER_LOG_TTL_SECONDS = 24 * 60 * 60;

const memberList = (value: unknown): MemberRecord[] =>
  Array.isArray(value) ? value.map((m) => MEMBER.fromItem(m as Record<string, unknown>)) : [];
const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const changeFields = {
  chatId: field.string,
  /** The change's version (the chat's `memberVer` after it). */
  ver: field.number,
  /** The chat's `memberVer` the change was applied on (its transaction required it). */
  prevVer: field.number,
  /** The members it added, as their items were put (member fields only). */
  added: memberList,
  /** The user ids it removed. */
  removed: stringList,
  /** The member who became the owner (the owner left). */
  newOwnerId: field.optionalString,
};
export type MemberChange = RecordOf<typeof changeFields>;

const MEMBER_CHANGE = defineItem({
  itemType: 'memberChange',
  key: (c: MemberChange) => keys.memberChange(c.chatId, c.ver),
  fields: changeFields,
  derived: () => ({ [TTL_ATTRIBUTE]: Math.floor(Date.now() / 1000) + MEMBER_LOG_TTL_SECONDS }),
});

/** Whether a change applied on `chat` is logged (a group that big, with a version to chain from). */
export const logsChanges = (chat: ChatRecord): boolean =>
  chat.kind === 'group' && chat.memberCount >= MEMBER_LOG_FROM && chat.memberVer > 0;

/** What a membership change did, as its log entry records it. */
export interface ChangeParts {
  readonly added: readonly MemberRecord[];
  readonly removed: readonly string[];
  readonly newOwnerId?: string | undefined;
}

/**
 * What a change's transaction adds to be logged: the entry's put. (Its `META` update requires the
 * `memberVer` the change read, as every membership change's does: lambdas/data/chats.ts.)
 */
export interface LoggedChange {
  readonly put: TransactAction;
}

/** The log entry of a change of version `ver` applied on `chat`; undefined when it is not logged. */
export function loggedChange(chat: ChatRecord, ver: number, parts: ChangeParts): LoggedChange | undefined {
  if (!logsChanges(chat)) return undefined;
  const change: MemberChange = {
    chatId: chat.chatId,
    ver,
    prevVer: chat.memberVer,
    // Member fields only (no keys): what `MEMBER.fromItem` reads back.
    added: parts.added.map((m) => MEMBER.fromItem(m)),
    removed: [...parts.removed],
    ...(parts.newOwnerId ? { newOwnerId: parts.newOwnerId } : {}),
  };
  return { put: { Put: { Item: MEMBER_CHANGE.toItem(change) } } };
}

/**
 * Entries read at most to bring a head up to date: more changes than this since a container's
 * version (or a page of 1 MB) and it reads the member list instead, which then costs less or about
 * the same (25 invites of 50 members are about 375 KB; a group of 1,000's list 285 KB).
 */
export const MAX_REPLAYED_CHANGES = 25;

/**
 * The entries after version `fromVer` up to `toVer`, oldest first (one strongly consistent Query of
 * the `MLOG#` range); undefined when there are more than `MAX_REPLAYED_CHANGES`. A Query is
 * read-committed per item, so an entry of a change committed just now may be missing while `META`
 * shows its version: the replay then finds a gap.
 */
export async function memberChangesBetween(
  table: TableClient,
  chatId: string,
  fromVer: number,
  toVer: number,
): Promise<MemberChange[] | undefined> {
  if (toVer <= fromVer) return [];
  const { items, lastKey } = await table.queryPage({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': chatPk(chatId),
      ':from': memberChangeSk(fromVer + 1),
      ':to': memberChangeSk(toVer),
    },
    ConsistentRead: true,
    // One more than replayed: DynamoDB may name a last key on a page cut at its limit even when
    // nothing follows, so the count says whether more are behind.
    Limit: MAX_REPLAYED_CHANGES + 1,
  });
  if (lastKey || items.length > MAX_REPLAYED_CHANGES) return undefined;
  return items.map((item) => MEMBER_CHANGE.fromItem(item));
}

/**
 * The members at `toVer` (in no order), from those at `fromVer` and the entries between; undefined
 * when the chain has a gap (an unlogged or expired change): the caller then reads the members.
 */
export function replayMemberChanges(
  members: readonly MemberRecord[],
  changes: readonly MemberChange[],
  fromVer: number,
  toVer: number,
): MemberRecord[] | undefined {
  const byId = new Map(members.map((m) => [m.userId, m]));
  let at = fromVer;
  for (const change of [...changes].sort((a, b) => a.ver - b.ver)) {
    if (change.prevVer !== at) return undefined;
    for (const userId of change.removed) byId.delete(userId);
    for (const added of change.added) byId.set(added.userId, added);
    const owner = change.newOwnerId === undefined ? undefined : byId.get(change.newOwnerId);
    if (owner) byId.set(owner.userId, { ...owner, role: 'owner' });
    at = change.ver;
  }
  return at === toVer ? [...byId.values()] : undefined;
}

/** A member list and the `memberVer` it was read at. */
export interface MembersAsOf {
  readonly memberVer: number;
  readonly members: readonly MemberRecord[];
}

/**
 * A big group's members at version `toVer` in join order, from a list read at `from.memberVer` and
 * the entries between; undefined when the log cannot say (the caller reads the members).
 */
export async function membersAt(
  table: TableClient,
  chatId: string,
  from: MembersAsOf,
  toVer: number,
): Promise<MemberRecord[] | undefined> {
  const changes = await memberChangesBetween(table, chatId, from.memberVer, toVer);
  return changes && replayMemberChanges(from.members, changes, from.memberVer, toVer)?.sort(byJoined);
}
