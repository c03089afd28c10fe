/**
 * Alice's page on the demo data's direct chat with its WebSocket routed through the test (system
 * Chromium): the actions the page sends are recorded, the frames it receives may be changed first, and
 * Bob writes over a socket of his own. For the attachment URL tests.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { seedDemoData } from '../../local/seed.ts';
import { TestClient } from '../support/client.ts';
import { uploadFile } from '../support/media.ts';
import type { TestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openChat } from './browser.ts';

export interface RoutedPage {
  readonly chrome: Chromium;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly bob: TestClient;
  readonly directId: string;
  /** The actions the page sent, in order. */
  readonly sent: string[];
  /** Bob sends a message with one file; its messageId. */
  sendFile(bytes: Uint8Array, contentType: string, fileName: string): Promise<string>;
  /** Waits until the message's image has loaded (a decoded picture, not a broken one); its src. */
  loadedImage(messageId: string): Promise<string>;
  close(): Promise<void>;
}

export async function openRoutedPage(
  stack: TestStack,
  options: { initScript?: string; receive?: (frame: unknown) => void } = {},
): Promise<RoutedPage> {
  const seed = await seedDemoData();
  const directId = seed.chats.find((c) => c.name.includes('direct'))?.chatId ?? '';
  if (!directId) throw new Error('no direct chat in the demo data');
  const chrome = await launchChromium();
  const context = await chrome.browser.newContext({ viewport: { width: 1000, height: 700 } });
  if (options.initScript) await context.addInitScript(options.initScript);
  const sent: string[] = [];
  await context.routeWebSocket(/.*/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      sent.push(String((JSON.parse(String(message)) as { action?: string }).action));
      server.send(message);
    });
    server.onMessage((message) => {
      const frame = JSON.parse(String(message)) as unknown;
      options.receive?.(frame);
      ws.send(JSON.stringify(frame));
    });
  });
  const page = await context.newPage();
  await page.goto(stack.url.replace(/^ws:/, 'http:'));
  await page.click('[data-user-id="alice"]');
  await page.waitForSelector('#connection[data-state="online"]');
  await openChat(page, directId, 'Yes, see you there.');
  const bob = await TestClient.connect(await stack.urlFor('bob'));
  return {
    chrome,
    context,
    page,
    bob,
    directId,
    sent,
    async sendFile(bytes, contentType, fileName) {
      const uploadId = await uploadFile(bob, directId, bytes, contentType, fileName);
      const ack = await bob.ok('sendMessage', { chatId: directId, text: '', attachments: [{ uploadId }] });
      return (ack.message as { messageId: string }).messageId;
    },
    async loadedImage(messageId) {
      const img = `#message-list li[data-message-id="${messageId}"] .attachments img`;
      // A function, not a string: Playwright evaluates a string predicate with eval, which the page's
      // Content-Security-Policy refuses. This file is type-checked without the DOM's types.
      const loaded = (selector: string) => {
        type Img = { complete: boolean; naturalWidth: number };
        const doc = (globalThis as unknown as { document: { querySelector(s: string): Img | null } })
          .document;
        const el = doc.querySelector(selector);
        return el?.complete === true && el.naturalWidth > 0;
      };
      await page.waitForFunction(loaded, img, { timeout: 15_000 });
      return (await page.getAttribute(img, 'src')) ?? '';
    },
    async close() {
      await bob.close();
      await chrome.close();
    },
  };
}
