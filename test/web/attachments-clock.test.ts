/**
 * A device whose clock runs 59.5 minutes ahead (system Chromium, headless): every attachment URL the
 * page receives looks about to expire, and so does every URL renewed for it. The page must renew an
 * attachment once and show it, not ask for URL after URL (each renewal re-rendered the message, whose
 * URL looked due again: about 30 requests a second until the rate limit).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, seedDemoData } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { PNG, uploadFile } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

const AHEAD_MS = 3_570_000;

let chrome: Chromium;
let context: BrowserContext;
let page: Page;
let bob: TestClient;
let directId: string;
/** The actions the page sent. */
const sent: string[] = [];
const renewals = () => sent.filter((a) => a === 'getAttachmentUrl').length;

describe('attachment URLs on a device whose clock is ahead', () => {
  beforeAll(async () => {
    const seed = await seedDemoData();
    directId = seed.chats.find((c) => c.name.includes('direct'))?.chatId ?? '';
    if (!directId) throw new Error('no direct chat in the demo data');
    chrome = await launchChromium();
    context = await chrome.browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.addInitScript(`{ const now = Date.now; Date.now = () => now() + ${AHEAD_MS}; }`);
    await context.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        sent.push(String((JSON.parse(String(message)) as { action?: string }).action));
        server.send(message);
      });
    });
    page = await context.newPage();
    await page.goto(stack.url.replace(/^ws:/, 'http:'));
    await page.click('[data-user-id="alice"]');
    await page.waitForSelector('#connection[data-state="online"]');
    await page.click(`.chat-row[data-chat-id="${directId}"]`);
    bob = await TestClient.connect(await stack.urlFor('bob'));
  }, 120_000);

  afterAll(async () => {
    await bob?.close();
    await chrome?.close();
  });

  it('renews an image once, shows it, and asks no more', async () => {
    const uploadId = await uploadFile(bob, directId, PNG, 'image/png', 'ahead.png');
    const ack = await bob.ok('sendMessage', { chatId: directId, text: '', attachments: [{ uploadId }] });
    const messageId = (ack.message as { messageId: string }).messageId;
    const img = `#message-list li[data-message-id="${messageId}"] .attachments img`;
    // A string: this file is type-checked without the DOM's types.
    const expression = `(() => { const el = document.querySelector(${JSON.stringify(img)}); return el !== null && el.complete && el.naturalWidth > 0; })()`;
    await page.waitForFunction(expression, undefined, { timeout: 15_000 });
    await page.waitForTimeout(2_000);
    expect(renewals()).toBe(1);
  });
});
