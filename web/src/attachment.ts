/**
 * One attachment on screen: an image inline (a link to the full file), an audio or video player, or
 * a file link. Download URLs are presigned and stop working after an hour (`urlExpiresAt`), so:
 * one already due when shown (a message read from the store later) is renewed before it is loaded;
 * a link clicked after its URL expired is renewed, then followed; and an element that fails to load
 * (an expired URL, or S3 refusing one for another reason) asks for a working URL and tries once
 * more. The client keeps a renewed URL in its messages, so a later render shows the fresh one.
 */
import type { Attachment } from '../../client/src/index.ts';
import { h } from './dom.ts';

/** A working URL of the attachment (`client.attachmentUrl`); `failed`: one that would not load. */
export type RenewUrl = (attachmentId: string, failed?: string) => Promise<string>;

/** A URL is renewed this long before it expires. */
const MARGIN_MS = 60_000;
/**
 * After a failed load an attachment's URL is renewed at most once in this long: when the fresh URL
 * fails too (its file gone), the page does not ask again and again.
 */
const RETRY_GAP_MS = 30_000;
const retriedAt = new Map<string, number>();

const due = (att: Attachment): boolean => !(Date.parse(att.urlExpiresAt) - Date.now() > MARGIN_MS);

export function attachmentView(att: Attachment, renew: RenewUrl): HTMLElement {
  const name = att.fileName ?? att.kind;
  const id = att.attachmentId;
  let url = att.url;
  /** The URL came from `renew` (which knows whether it is still good), not from the message. */
  let renewed = false;
  let following = false;
  let anchor: HTMLAnchorElement | null = null;
  let media: HTMLElement | null = null;
  const use = (next: string): void => {
    url = next;
    anchor?.setAttribute('href', next);
    media?.setAttribute('src', next);
  };
  const again = (failed?: string): Promise<void> =>
    renew(id, failed).then(
      (fresh) => {
        renewed = true;
        use(fresh);
      },
      () => use(url),
    );
  const onerror = (): void => {
    if (Date.now() - (retriedAt.get(id) ?? Number.NEGATIVE_INFINITY) < RETRY_GAP_MS) return;
    retriedAt.set(id, Date.now());
    void again(url);
  };
  // A link whose URL may have expired meanwhile is followed once a working URL is at hand.
  const onclick = (event: Event): void => {
    if (following || (!renewed && !due(att))) return;
    event.preventDefault();
    void again().then(() => {
      following = true;
      anchor?.click();
      following = false;
    });
  };
  const link = (child: Node | string, attrs: Record<string, string> = {}) =>
    h('a', { ...attrs, href: url, target: '_blank', rel: 'noopener', onclick }, child);
  // A URL already due is not loaded: the element gets its source once renewed.
  const stale = due(att);
  const src = stale ? undefined : url;
  let view: HTMLElement;
  switch (att.kind) {
    case 'image':
      media = h('img', { src, alt: name, loading: 'lazy', onerror });
      view = anchor = link(media);
      break;
    case 'audio':
      view = media = h('audio', { src, controls: true, preload: 'none', 'aria-label': name, onerror });
      break;
    case 'video':
      view = media = h('video', { src, controls: true, preload: 'metadata', 'aria-label': name, onerror });
      break;
    default:
      view = anchor = link(`📄 ${name}`, { class: 'file', download: name });
  }
  if (stale) void again();
  return view;
}
