/**
 * The page marks the open chat read once its socket is open again (system Chromium, local stack):
 * a chat opened while the socket was down, and one whose `readMessage` was lost with the socket,
 * are marked read after the reconnect even when nothing new arrives then (before, only a new
 * message, a tab coming back or opening the chat again sent it: the server, the user's other
 * devices and push badges kept counting the messages as unread). Bob writes over a socket of his
 * own; the server's count is read over one of Alice's.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, seedDemoData } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, describePage, launchChromium, openAs, openChat } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let baseUrl: string;
let directId: string;
let bob: TestClient;
/** Alice over a socket of her own, to read the server's count. */
let aliceSocket: TestClient;

/**
 * Alice's unread count of the direct chat as the server has it (listChats; a refusal, as
 * RATE_LIMITED, reads as unknown).
 */
async function unreadOnServer(): Promise<number | undefined> {
  const reply = await aliceSocket.request('listChats', { limit: 100 });
  const chats = (reply.chats ?? []) as { chatId: string; unreadCount: number }[];
  return chats.find((c) => c.chatId === directId)?.unreadCount;
}

/** Bob writes `texts` to the direct chat while Alice's page has no chat open; waits until her page holds them. */
async function unreadFromBob(page: Page, texts: string[]): Promise<void> {
  for (const text of texts) await bob.ok('sendMessage', { chatId: directId, text });
  const newest = `window.chatApp.client.messages(${JSON.stringify(directId)}).at(-1)?.text`;
  await expect.poll(() => page.evaluate(newest), { timeout: 20_000 }).toBe(texts.at(-1));
  expect(await unreadOnServer()).toBeGreaterThanOrEqual(texts.length);
}

/** Waits until the server counts nothing unread for Alice in the direct chat; says what the page showed if not. */
async function readOnServer(page: Page): Promise<void> {
  try {
    // listChats is limited to 60 a minute: asked once a second.
    await expect.poll(unreadOnServer, { timeout: 20_000, interval: 1_000 }).toBe(0);
  } catch (error) {
    throw new Error(`still unread on the server\n${await describePage(page)}`, { cause: error });
  }
}

describe('marking read after a reconnect', () => {
  beforeAll(async () => {
    const seed = await seedDemoData();
    directId = seed.chats.find((c) => c.name.includes('direct'))?.chatId ?? '';
    if (!directId) throw new Error('no direct chat in the demo data');
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
    bob = await TestClient.connect(await stack.urlFor('bob'));
    aliceSocket = await TestClient.connect(await stack.urlFor('alice'));
  }, 120_000);

  afterAll(async () => {
    await aliceSocket?.close();
    await bob?.close();
    await chrome?.close();
  });

  it('a chat opened while offline is marked read once back online, with nothing new', async () => {
    const alice = await openAs(chrome, baseUrl, 'alice');
    try {
      await unreadFromBob(alice.page, ['while away 1', 'while away 2']);

      await alice.context.setOffline(true);
      await alice.page.waitForSelector('#connection[data-state="offline"]', { state: 'attached' });
      await openChat(alice.page, directId, 'while away 2', alice.errors);
      await alice.context.setOffline(false);
      await alice.page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });

      await readOnServer(alice.page);
      expect(alice.errors).toEqual([]);
    } finally {
      // Closed also on a failure: a page left with the chat open would mark the next test's messages read.
      await alice.context.close();
    }
  }, 120_000);

  it('a read lost with the socket is sent again once the socket is back', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1000, height: 700 } });
    const sent: string[] = [];
    let dropRead = false;
    // The page's socket through the test: the first readMessage once armed is not passed on, and
    // the socket closes under it (the client fails it DISCONNECTED and reconnects).
    await context.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        const { action } = JSON.parse(String(message)) as { action?: string };
        sent.push(String(action));
        if (dropRead && action === 'readMessage') {
          dropRead = false;
          void ws.close({ code: 4000, reason: 'dropped by the test' });
          void server.close();
          return;
        }
        server.send(message);
      });
      server.onMessage((message) => ws.send(message));
    });
    try {
      const page = await context.newPage();
      await page.goto(baseUrl);
      await page.click('[data-user-id="alice"]');
      await page.waitForSelector('#connection[data-state="online"]');
      await unreadFromBob(page, ['before the drop 1', 'before the drop 2']);

      dropRead = true;
      await openChat(page, directId, 'before the drop 2');
      await expect.poll(() => dropRead, { timeout: 20_000 }).toBe(false);

      await readOnServer(page);
      // Once dropped, once sent again: not again and again.
      expect(sent.filter((a) => a === 'readMessage')).toHaveLength(2);
    } finally {
      await context.close();
    }
  }, 120_000);
});
