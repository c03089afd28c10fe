/**
 * Download URLs of attachments (`Attachment.url`) are presigned: they work for an hour
 * (`urlExpiresAt`), and on AWS not past the credentials that signed them. `ChatClient.attachmentUrl`
 * gives one that works: the held message's while it has more than a minute left, else a fresh one
 * from `getAttachmentUrl`, kept until a minute before its `expiresAt`; concurrent callers share one
 * request. A URL the app says `failed` (a 403 from S3) is renewed whatever its expiry says. The fresh
 * URL replaces the old one in the held message (and the store), and the app hears of that message
 * again (`messages`, same version). (A closure, not a class: it minifies smaller.)
 */
import type { Ack, Message } from './contract.ts';
import type { Replica } from './replica.ts';

/** A URL is renewed this long before its expiry (the server's clock and ours differ a little). */
const MARGIN_MS = 60_000;

interface Renewal {
  url?: string;
  expiresAt?: string;
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
    const works = (url?: string, expiresAt = '') =>
      url !== failed && Date.parse(expiresAt) - Date.now() > MARGIN_MS;
    const a = held(chatId, messageId)?.attachments.find((x) => x.attachmentId === attachmentId);
    if (a && works(a.url, a.urlExpiresAt)) return Promise.resolve(a.url);
    const key = `${chatId} ${messageId} ${attachmentId}`;
    const known = renewals.get(key);
    // A request under way is shared; a finished one serves until its URL stops working.
    if (known && (known.url === undefined || works(known.url, known.expiresAt))) return known.done;
    const r: Renewal = {
      done: ask({ chatId, messageId, attachmentId }).then(
        ({ url, expiresAt }) => {
          Object.assign(r, { url, expiresAt });
          const m = held(chatId, messageId);
          const e = replica().chats.get(chatId);
          if (e && m?.attachments.some((x) => x.attachmentId === attachmentId)) {
            const attachments = m.attachments.map((x) =>
              x.attachmentId === attachmentId ? { ...x, url, urlExpiresAt: expiresAt } : x,
            );
            replica().apply(e, [{ ...m, attachments }], true);
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
