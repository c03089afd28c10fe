/**
 * Attachment URLs on the page (system Chromium, headless): download URLs expire after an hour, and
 * the local S3 stand-in refuses an expired one (403) as S3 does. The page's WebSocket is routed
 * through the test, which makes the URLs of the attachments it receives expired the way time makes
 * them (`X-Amz-Date` two hours back; the stand-in checks expiry, not signatures) and records what the
 * page sends. Bob sends over a socket of his own; Alice's page must show his files all the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { PNG } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';
import { openRoutedPage, type RoutedPage } from './routed-page.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

const PAST = '2020-01-01T01:00:00.000Z';

/** How the next attachments reach the page: `expired` (and so labelled), or `refused` before expiry. */
let spoil: 'expired' | 'refused' = 'expired';
const spoiled = new Set<string>();
let alice: RoutedPage;

/** Every attachment in a frame gets a URL the stand-in refuses as expired. */
function tamper(value: unknown): void {
  if (Array.isArray(value)) for (const v of value) tamper(v);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.url === 'string' && typeof o.urlExpiresAt === 'string') {
      const url = new URL(o.url);
      url.searchParams.set('X-Amz-Date', '20200101T000000Z');
      o.url = url.toString();
      if (spoil === 'expired') o.urlExpiresAt = PAST;
      spoiled.add(url.toString());
    }
    for (const v of Object.values(o)) tamper(v);
  }
}

const renewals = () => alice.sent.filter((a) => a === 'getAttachmentUrl').length;

describe('attachment URLs in Chromium', () => {
  beforeAll(async () => {
    alice = await openRoutedPage(stack, { receive: tamper });
  }, 120_000);

  afterAll(async () => {
    await alice?.close();
  });

  it('an image whose URL has expired is shown with a renewed URL', async () => {
    spoil = 'expired';
    const before = renewals();
    const messageId = await alice.sendFile(PNG, 'image/png', 'dot.png');
    const src = await alice.loadedImage(messageId);
    expect(spoiled.has(src)).toBe(false);
    expect(renewals() - before).toBe(1);
  });

  it('an image refused before its expiry (rotated credentials) is renewed and loaded once more', async () => {
    spoil = 'refused';
    const before = renewals();
    const messageId = await alice.sendFile(PNG, 'image/png', 'refused.png');
    const src = await alice.loadedImage(messageId);
    expect(spoiled.has(src)).toBe(false);
    expect(renewals() - before).toBe(1);
  });

  it('a file link whose URL has expired opens the file through a renewed URL', async () => {
    spoil = 'expired';
    const text = 'the notes\n';
    const messageId = await alice.sendFile(Buffer.from(text), 'text/plain', 'notes.txt');
    const link = alice.page.locator(`#message-list li[data-message-id="${messageId}"] a.file`);
    await link.waitFor();
    const [tab] = await Promise.all([alice.context.waitForEvent('page'), link.click()]);
    await tab.waitForLoadState();
    expect(spoiled.has(tab.url())).toBe(false);
    expect(await tab.textContent('body')).toContain('the notes');
    await tab.close();
  });
});
