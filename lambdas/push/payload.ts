/**
 * What a notification says, and how each provider wants it. One `PushContent` per recipient (the
 * badge is theirs); `apnsRequest` and `fcmMessage` turn it into the provider's request format.
 *
 * Grouping: APNs `thread-id` and FCM `tag` are the chat id, so a phone groups (Android: replaces)
 * a chat's notifications; FCM `collapse_key` is the chat id too. In id-only mode no text and no names
 * leave the server: APNs gets a generic alert with `mutable-content: 1` (the app's notification
 * service extension fetches the message and rewrites it), FCM a data message the app turns into a
 * notification itself on Android, and for iOS (FCM forwards through APNs) that same generic alert:
 * a data-only message would reach iOS as a background push (`content-available`, priority 5), which
 * iOS throttles, drops for an app the user force-quit, never shows and never hands to the service
 * extension. Either way a push is a wake-up for a delta `sync`, not a transport.
 */
import type { Attachment } from '../contract/objects.ts';
import { previewText } from '../domain/preview.ts';

/** The contract's push payload: `{chatId, messageId, seq, senderId, title, body, badge}`. */
export interface PushContent {
  readonly chatId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly senderId: string;
  /** The chat's name (groups) or the sender's name (direct chats). */
  readonly title: string;
  /** A preview of at most 100 characters, or a label such as "Photo". */
  readonly body: string;
  /** The recipient's total unread count across chats. */
  readonly badge: number;
}

export const BODY_MAX_CHARS = 100;
/** The only visible text of an id-only notification until the app replaces it. */
export const ID_ONLY_TITLE = 'New message';
/** How long APNs keeps trying to deliver to a device that is off. */
const APNS_EXPIRY_SECONDS = 24 * 60 * 60;

/** At most `max` characters (code points), whitespace runs folded, an ellipsis when cut. */
export function preview(text: string, max = BODY_MAX_CHARS): string {
  return previewText({ text: text.replace(/\s+/g, ' ').trim(), attachments: [] }, max);
}

/**
 * The body of a message's notification: the same preview as `listChats.lastMessage.text`
 * (`previewText`, lambdas/domain/preview.ts) at most 100 characters long — its text with whitespace
 * folded, or for a message without text a label: "Photo", "Voice message", "Video", the file's name
 * ("File" without one), or a count ("3 photos", "2 attachments").
 */
export function bodyOf(message: {
  readonly text: string;
  readonly attachments?: readonly Pick<Attachment, 'kind' | 'fileName'>[] | undefined;
}): string {
  const text = message.text.replace(/\s+/g, ' ').trim();
  return previewText({ text, attachments: message.attachments ?? [] }, BODY_MAX_CHARS);
}

const ids = (c: PushContent) => ({
  chatId: c.chatId,
  messageId: c.messageId,
  seq: c.seq,
  senderId: c.senderId,
});

/** An alert push, delivered at once and shown (a background push is throttled and shows nothing). */
const ALERT_HEADERS = { 'apns-push-type': 'alert', 'apns-priority': '10' } as const;

/** The id-only `aps`: a generic alert the app's notification service extension rewrites. */
const idOnlyAps = (c: PushContent) => ({
  alert: { title: ID_ONLY_TITLE },
  'mutable-content': 1,
  badge: c.badge,
  sound: 'default',
  'thread-id': c.chatId,
});

/** An APNs request: the `apns-*` headers (without authorization and topic) and the JSON body. */
export function apnsRequest(
  c: PushContent,
  idOnly: boolean,
  now: Date,
): { headers: Record<string, string>; body: Record<string, unknown> } {
  const headers = {
    ...ALERT_HEADERS,
    'apns-expiration': String(Math.floor(now.getTime() / 1000) + APNS_EXPIRY_SECONDS),
  };
  const aps = idOnly
    ? idOnlyAps(c)
    : { alert: { title: c.title, body: c.body }, badge: c.badge, sound: 'default', 'thread-id': c.chatId };
  return { headers, body: { aps, ...ids(c) } };
}

/**
 * An FCM HTTP v1 `message` (without `token`). Data values are strings, as FCM requires; on iOS FCM
 * hands them to the app as the APNs payload's custom keys. Id-only: data only on Android, the APNs
 * id-only alert on iOS (module comment).
 */
export function fcmMessage(c: PushContent, idOnly: boolean): Record<string, unknown> {
  const data: Record<string, string> = {
    chatId: c.chatId,
    messageId: c.messageId,
    seq: String(c.seq),
    senderId: c.senderId,
    badge: String(c.badge),
  };
  if (idOnly) {
    return {
      data,
      android: { priority: 'high', collapse_key: c.chatId },
      apns: { headers: ALERT_HEADERS, payload: { aps: idOnlyAps(c) } },
    };
  }
  return {
    notification: { title: c.title, body: c.body },
    data: { ...data, title: c.title, body: c.body },
    android: {
      priority: 'high',
      collapse_key: c.chatId,
      notification: { tag: c.chatId, notification_count: c.badge },
    },
    apns: { payload: { aps: { badge: c.badge, 'thread-id': c.chatId, sound: 'default' } } },
  };
}
