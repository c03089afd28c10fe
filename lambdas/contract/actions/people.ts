/** Actions about people and devices: presence, push devices, blocking, reports. */
import * as v from 'valibot';
import { defineAction } from '../action.ts';
import {
  askedIds,
  bool,
  cleanName,
  FIELD,
  id,
  int,
  messageText,
  oneOf,
  optional,
  pageCursor,
  withDefault,
} from '../fields.ts';
import { LIMITS } from '../limits.ts';
import { Device, Presence, Report } from '../objects.ts';

/** In its own module (./ping.ts) so that the ping handler's bundle carries no other declaration. */
export { ping } from './ping.ts';

export const getPresence = defineAction('getPresence', {
  summary: 'Online state and last-seen time of users who share a chat with the caller.',
  request: v.object({ userIds: askedIds(1, LIMITS.presenceMaxIds) }),
  ack: { presence: v.array(Presence) },
});

export const registerDevice = defineAction('registerDevice', {
  summary:
    `Registers a push token for the caller (at most ${LIMITS.devicesMaxPerUser} devices per user). ` +
    'Register on every app start: a device not registered for 60 days (by default) gets no push.',
  request: v.object({
    platform: oneOf(['apns', 'fcm']),
    token: v.pipe(
      v.string(),
      v.minLength(1, `${FIELD} must not be empty.`),
      v.maxLength(
        LIMITS.deviceTokenMaxChars,
        `${FIELD} must be at most ${LIMITS.deviceTokenMaxChars} characters.`,
      ),
      v.regex(/^[\x21-\x7e]+$/, `${FIELD} must be printable ASCII without spaces.`),
    ),
    appId: optional(cleanName(200)),
  }),
  ack: { device: Device },
});

export const unregisterDevice = defineAction('unregisterDevice', {
  summary: "Removes one of the caller's devices.",
  request: v.object({ deviceId: id }),
  ack: { deviceId: v.string() },
});

export const blockUser = defineAction('blockUser', {
  summary: 'The caller blocks a user (private to the caller).',
  request: v.object({ userId: id }),
  ack: { userId: v.string() },
});

export const unblockUser = defineAction('unblockUser', {
  summary: 'The caller unblocks a user.',
  request: v.object({ userId: id }),
  ack: { userId: v.string() },
});

export const listBlocked = defineAction('listBlocked', {
  summary: 'The users the caller has blocked, in user id order: all that fit one frame, or pages of limit.',
  request: v.object({
    limit: optional(
      v.pipe(
        int(1, LIMITS.blockedMax),
        v.description('A page of at most this many; without it, every id that fits one frame.'),
      ),
    ),
    cursor: pageCursor('listBlocked'),
  }),
  ack: { userIds: v.array(v.string()), nextCursor: v.nullable(v.string()) },
});

export const reportMessage = defineAction('reportMessage', {
  summary: 'Any member reports a message to the administrators; reporting twice is harmless.',
  request: v.object({ chatId: id, messageId: id, reason: messageText(LIMITS.reportReasonMaxChars) }),
  ack: { reportId: v.string() },
});

export const listReports = defineAction('listReports', {
  summary: 'Reports, newest first (administrators only).',
  request: v.object({
    limit: withDefault(int(1, LIMITS.reportsMax), LIMITS.reportsDefault),
    cursor: pageCursor('listReports'),
  }),
  ack: { reports: v.array(Report), nextCursor: v.nullable(v.string()) },
  adminOnly: true,
});

export const deactivateUser = defineAction('deactivateUser', {
  summary:
    "Ends a user's access at once (administrators only): refuses their new sockets, closes their open " +
    'ones, cancels their scheduled messages and removes their push devices. Memberships stay. Repeating it is harmless.',
  request: v.object({ userId: id }),
  ack: {
    userId: v.string(),
    deactivatedAt: v.pipe(
      v.string(),
      v.description('When the user was first deactivated (a repeat keeps it).'),
    ),
    scheduledCancelled: v.number(),
    devicesRemoved: v.number(),
    socketsClosed: v.number(),
  },
  adminOnly: true,
});

export const reactivateUser = defineAction('reactivateUser', {
  summary:
    'Lets a deactivated user connect again (administrators only); what deactivateUser cancelled or removed stays so.',
  request: v.object({ userId: id }),
  ack: { userId: v.string(), wasDeactivated: v.boolean() },
  adminOnly: true,
});

/**
 * The fields of an irreversible action, and no other: a field it does not know (a misspelt
 * `eraseMessages`, a `userId` sent to `deleteAccount`) is refused, named, rather than ignored.
 * Typed as the plain object of `entries` (no index signature): the typed client refuses an unknown
 * field at compile time too (types only: the schema itself is the loose object and its check).
 */
const onlyFields = <E extends v.ObjectEntries>(action: string, entries: E): PlainObject<E> => {
  const known = new Set(['action', 'requestId', ...Object.keys(entries)]);
  const unknownOf = (input: Record<string, unknown>) => Object.keys(input).find((k) => !known.has(k));
  return v.pipe(
    v.looseObject(entries),
    v.check(
      (input) => unknownOf(input) === undefined,
      (issue) => `"${unknownOf(issue.input as Record<string, unknown>)}" is not a field of ${action}.`,
    ),
  ) as PlainObject<E>;
};

/** A schema typed as `v.object(entries)` is: the entries' fields, and no others. */
type PlainObject<E extends v.ObjectEntries> = v.GenericSchema<
  v.InferInput<v.ObjectSchema<E, undefined>>,
  v.InferOutput<v.ObjectSchema<E, undefined>>
>;

const eraseMessages = v.pipe(
  withDefault(bool, false),
  v.description(
    "Also mark each of the user's messages deleted (as deleteMessage does) before leaving its chat. " +
      'Default false: the messages stay, under the user id only.',
  ),
);

const deletionAck = {
  userId: v.string(),
  deletedAt: v.pipe(v.string(), v.description('When the account was first deleted (a repeat keeps it).')),
  eraseMessages: v.boolean(),
  scheduledCancelled: v.number(),
  devicesRemoved: v.number(),
  socketsClosed: v.pipe(v.number(), v.description("The user's other sockets closed.")),
};

export const deleteAccount = defineAction('deleteAccount', {
  summary:
    "Deletes the caller's own account, for good: refuses their new sockets, closes their other ones, " +
    'cancels their scheduled messages, removes their push devices, profile and badge, and queues their ' +
    'chats to be left (their messages erased with eraseMessages). The server closes this socket after the ack. ' +
    'Repeating it is harmless. After INTERNAL or CONFLICT (the account may be deleted with a step left undone) repeat it on ' +
    "this socket, which an error leaves open: the account's other sockets are closed and its new ones refused, so only " +
    "this socket, or an administrator's deleteUser, can finish it.",
  request: onlyFields('deleteAccount', { eraseMessages }),
  ack: deletionAck,
});

export const deleteUser = defineAction('deleteUser', {
  summary:
    "Deletes another user's account, for good (administrators only), as deleteAccount deletes one's own. " +
    'Repeating it is harmless.',
  request: onlyFields('deleteUser', { userId: id, eraseMessages }),
  ack: deletionAck,
  adminOnly: true,
});
