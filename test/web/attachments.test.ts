/**
 * Attachment URLs on the page (system Chromium, headless): download URLs expire after an hour, and
 * the local S3 stand-in refuses an expired one (403) as S3 does. The page's WebSocket is routed
 * through the test, which makes the URLs of the attachments it receives expired the way time makes
 * them (`X-Amz-Date` two hours back; the stand-in checks expiry, not signatures) and records what the
 * page sends. Bob sends over a socket of his own; Alice's page must show his files all the same.
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

const PAST = '2020-01-01T01:00:00.000Z';

let chrome: Chromium;
let context: BrowserContext;
let page: Page;
let bob: TestClient;
let directId: string;
/** The actions the page sent. */
const sent: string[] = [];
/** How the next attachments reach the page: `expired` (and so labelled), or `refused` before expiry. */
let spoil: 'expired' | 'refused' = 'expired';
const spoiled = new Set<string>();

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

async function sendFile(bytes: Uint8Array, contentType: string, fileName: string): Promise<string> {
  const uploadId = await uploadFile(bob, directId, bytes, contentType, fileName);
  const ack = await bob.ok('sendMessage', { chatId: directId, text: '', attachments: [{ uploadId }] });
  return (ack.message as { messageId: string }).messageId;
}

const renewals = () => sent.filter((a) => a === 'getAttachmentUrl').length;

/** Waits until the message's image has loaded (a decoded picture, not a broken one); its src. */
async function loadedImage(messageId: string): Promise<string> {
  const img = `#message-list li[data-message-id="${messageId}"] .attachments img`;
  // A string: this file is type-checked without the DOM's types.
  const expression = `(() => { const el = document.querySelector(${JSON.stringify(img)}); return el !== null && el.complete && el.naturalWidth > 0; })()`;
  await page.waitForFunction(expression, undefined, { timeout: 15_000 });
  return (await page.getAttribute(img, 'src')) ?? '';
}

describe('attachment URLs in Chromium', () => {
  beforeAll(async () => {
    const seed = await seedDemoData();
    directId = seed.chats.find((c) => c.name.includes('direct'))?.chatId ?? '';
    if (!directId) throw new Error('no direct chat in the demo data');
    chrome = await launchChromium();
    context = await chrome.browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        sent.push(String((JSON.parse(String(message)) as { action?: string }).action));
        server.send(message);
      });
      server.onMessage((message) => {
        const frame = JSON.parse(String(message)) as unknown;
        tamper(frame);
        ws.send(JSON.stringify(frame));
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

  it('an image whose URL has expired is shown with a renewed URL', async () => {
    spoil = 'expired';
    const before = renewals();
    const messageId = await sendFile(PNG, 'image/png', 'dot.png');
    const src = await loadedImage(messageId);
    expect(spoiled.has(src)).toBe(false);
    expect(renewals() - before).toBe(1);
  });

  it('an image refused before its expiry (rotated credentials) is renewed and loaded once more', async () => {
    spoil = 'refused';
    const before = renewals();
    const messageId = await sendFile(PNG, 'image/png', 'refused.png');
    const src = await loadedImage(messageId);
    expect(spoiled.has(src)).toBe(false);
    expect(renewals() - before).toBe(1);
  });

  it('a file link whose URL has expired opens the file through a renewed URL', async () => {
    spoil = 'expired';
    const text = 'the notes\n';
    const messageId = await sendFile(Buffer.from(text), 'text/plain', 'notes.txt');
    const link = page.locator(`#message-list li[data-message-id="${messageId}"] a.file`);
    await link.waitFor();
    const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await tab.waitForLoadState();
    expect(spoiled.has(tab.url())).toBe(false);
    expect(await tab.textContent('body')).toContain('the notes');
    await tab.close();
  });
});
