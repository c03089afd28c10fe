/**
 * Pages that carry messages (`history`, `sync`, `listChats`' last messages) are cut to the reply
 * budget (reply-budget.ts) before their attachment URLs are signed, so that a page of many
 * attachment messages signs only the URLs it returns (a history page of 100 messages with 10
 * attachments each would sign 1,000 URLs, about 150 ms of CPU, to return the 6 that fit).
 *
 * One URL is signed first, and every other is counted at its length plus `URL_MARGIN_BYTES` (a longer
 * key: every URL signed by one function with the same lifetime has the same query but for the key):
 * the page is cut on views carrying such stand-ins, then the URLs of what it kept are signed, and it
 * is cut again on the real views, so that it never exceeds the budget even if a URL outgrew its
 * estimate (it then ends a message or two earlier; `hasMore` and cursors follow what is returned).
 */
import type { MessageRecord } from '../data/store.ts';
import type { Deps } from './deps.ts';
import { bucket, DOWNLOAD_URL_SECONDS, shownAttachments, signAttachments } from './media.ts';
import { fitting } from './reply-budget.ts';
import type { AttachmentLinks } from './views.ts';

/** How much longer than the first URL signed any other may be (its key: chat and upload ids). */
export const URL_MARGIN_BYTES = 64;

/**
 * The first of `items` whose views fit in `budget` bytes (at least one), each viewed with the URLs
 * of the messages `messagesOf` it shows, signed for the items kept only.
 */
export async function fittingSigned<T, V>(
  deps: Deps,
  items: readonly T[],
  messagesOf: (item: T) => readonly MessageRecord[],
  view: (item: T, links: AttachmentLinks) => V,
  budget: number,
): Promise<V[]> {
  const shown = shownAttachments(items.flatMap(messagesOf));
  const first = shown[0];
  if (!first)
    return fitting(
      items.map((item) => view(item, new Map())),
      budget,
    );
  const sample = await bucket(deps).downloadUrl(first.key, DOWNLOAD_URL_SECONDS);
  const standIn = { url: 'x'.repeat(sample.url.length + URL_MARGIN_BYTES), expiresAt: sample.expiresAt };
  const estimated: AttachmentLinks = new Map(shown.map((a) => [a.id, standIn]));
  const count = fitting(
    items.map((item) => view(item, estimated)),
    budget,
  ).length;
  const kept = items.slice(0, count);
  const links = await signAttachments(deps, kept.flatMap(messagesOf), new Map([[first.id, sample]]));
  return fitting(
    kept.map((item) => view(item, links)),
    budget,
  );
}
