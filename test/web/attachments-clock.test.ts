/**
 * A device whose clock runs 59.5 minutes ahead (system Chromium, headless): every attachment URL the
 * page receives looks about to expire, and so does every URL renewed for it. The page must renew an
 * attachment once and show it, not ask for URL after URL (each renewal re-rendered the message, whose
 * URL looked due again: about 30 requests a second until the rate limit).
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

const AHEAD_MS = 3_570_000;
let alice: RoutedPage;

describe('attachment URLs on a device whose clock is ahead', () => {
  beforeAll(async () => {
    alice = await openRoutedPage(stack, {
      initScript: `{ const now = Date.now; Date.now = () => now() + ${AHEAD_MS}; }`,
    });
  }, 120_000);

  afterAll(async () => {
    await alice?.close();
  });

  it('renews an image once, shows it, and asks no more', async () => {
    const messageId = await alice.sendFile(PNG, 'image/png', 'ahead.png');
    await alice.loadedImage(messageId);
    await alice.page.waitForTimeout(2_000);
    expect(alice.sent.filter((a) => a === 'getAttachmentUrl')).toHaveLength(1);
  });
});
