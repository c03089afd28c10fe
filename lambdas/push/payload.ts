/**
 * What a notification says, and how each provider wants it. One `PushContent` per recipient (the
 * badge is theirs); `apnsRequest` and `fcmMessage` turn it into the provider's request format.
 *
 * Grouping: APNs `thread-id` and FCM `tag` are the chat id, so a phone groups (Android: replaces)
 * a chat's notifications; FCM `collapse_key` is the chat id too. In id-only mode no text and no names
 * leave the server: APNs gets a generic alert with `mutable-content: 1` (the app's notification
 * service extension fetches the message and rewrites it), FCM a data message the app turns into a
 * notification itself. Either way a push is a wake-up for a delta `sync`, not a transport.
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

/** An APNs request: the `apns-*` headers (without authorization and topic) and the JSON body. */
export function apnsRequest(
  c: PushContent,
  idOnly: boolean,
  now: Date,
): { headers: Record<string, string>; body: Record<string, unknown> } {
  const headers = {
    'apns-push-type': 'alert',
    'apns-priority': '10',
    'apns-expiration': String(Math.floor(now.getTime() / 1000) + APNS_EXPIRY_SECONDS),
  };
  const aps = idOnly
    ? { alert: { title: ID_ONLY_TITLE }, 'mutable-content': 1, badge: c.badge, sound: 'default' }
    : { alert: { title: c.title, body: c.body }, badge: c.badge, sound: 'default' };
  return { headers, body: { aps: { ...aps, 'thread-id': c.chatId }, ...ids(c) } };
}

/** An FCM HTTP v1 `message` (without `token`). Data values are strings, as FCM requires. */
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
      apns: {
        headers: { 'apns-push-type': 'background', 'apns-priority': '5' },
        payload: { aps: { 'content-available': 1 } },
      },
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
