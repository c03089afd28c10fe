/**
 * Download URLs of attachments (`Attachment.url`) are presigned: they work for an hour
 * (`urlExpiresAt`), and on AWS not past the credentials that signed them. `ChatClient.attachmentUrl`
 * gives one that works: the held message's while it has more than a minute left, else a fresh one
 * from `getAttachmentUrl`, served for 59 minutes from its arrival (timed on this device's clock
 * alone: one set an hour off renews once, not at every call), or until the held message loses the
 * attachment; concurrent callers share one request; the 200 newest renewals are kept. A URL the app
 * says `failed` (a 403 from S3) is renewed whatever its expiry says. The fresh
 * URL replaces the old one in the held message (and the store), and the app hears of that message
 * again (`messages`, same version). (A closure, not a class: it minifies smaller.)
 */
import type { Ack, Message } from './contract.ts';
import type { Replica } from './replica.ts';

/** A URL is renewed this long before its expiry (the server's clock and ours differ a little). */
const MARGIN_MS = 60_000;
/**
 * A renewed URL serves this long from its arrival: the contract's hour less the margin, counted on
 * this device's clock alone, so a clock set an hour off does not make every fresh URL look expired.
 */
const FRESH_MS = 3_600_000 - MARGIN_MS;
/** Renewals kept at most (the oldest go first): a long session scrolling many attachments. */
const KEPT = 200;

interface Renewal {
  url?: string;
  /** Date.now() until which it serves. */
  until: number;
  readonly done: Promise<string>;
}

type Ask = (fields: {
  chatId: string;
  messageId: string;
  attachmentId: string;
}) => Promise<Ack<'getAttachmentUrl'>>;

/**
 * A download URL of the attachment good for at least a minute more: the held one, or a fresh one
 * (`getAttachmentUrl`; concurrent callers share one request). `failed`: a URL that would not load
 * (e.g. an `<img>` that errored): renewed unless a newer one is held. Rejects with a
 * ChatClientError like any request (`NOT_FOUND`: the message is deleted or you left the chat).
 */
export type AttachmentUrls = (
  chatId: string,
  messageId: string,
  attachmentId: string,
  failed?: string,
) => Promise<string>;

export function attachmentUrls(ask: Ask, replica: () => Replica): AttachmentUrls {
  const renewals = new Map<string, Renewal>();
  const held = (chatId: string, messageId: string): Message | undefined => {
    for (const m of replica().chats.get(chatId)?.bySeq.values() ?? [])
      if (m.messageId === messageId) return m;
  };
  return (chatId, messageId, attachmentId, failed) => {
    const m = held(chatId, messageId);
    const a = m?.attachments.find((x) => x.attachmentId === attachmentId);
    const key = `${chatId} ${messageId} ${attachmentId}`;
    const known = renewals.get(key);
    // A renewal serves while fresh, unless it failed or the held message lost the attachment (deleted).
    if (known && (known.url === undefined || (known.url !== failed && known.until > Date.now() && (!m || a))))
      return known.done;
    if (a && a.url !== failed && Date.parse(a.urlExpiresAt) - Date.now() > MARGIN_MS)
      return Promise.resolve(a.url);
    renewals.delete(key);
    if (renewals.size >= KEPT) renewals.delete(renewals.keys().next().value as string);
    const r: Renewal = {
      until: 0,
      done: ask({ chatId, messageId, attachmentId }).then(
        ({ url, expiresAt }) => {
          Object.assign(r, { url, until: Date.now() + FRESH_MS });
          const now = held(chatId, messageId);
          const e = replica().chats.get(chatId);
          if (e && now?.attachments.some((x) => x.attachmentId === attachmentId)) {
            const attachments = now.attachments.map((x) =>
              x.attachmentId === attachmentId ? { ...x, url, urlExpiresAt: expiresAt } : x,
            );
            replica().apply(e, [{ ...now, attachments }], true);
          }
          return url;
        },
        (error: unknown) => {
          if (renewals.get(key) === r) renewals.delete(key);
          throw error;
        },
      ),
    };
    renewals.set(key, r);
    return r.done;
  };
}
