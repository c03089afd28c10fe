/**
 * A sign-in the server refuses for another reason than an expired token, in a real browser
 * (system Chromium, headless) on a local stack. A browser cannot see a refused handshake's HTTP 401:
 * the socket closes as on a network loss. The page must not keep "reconnecting" for ever: after
 * handshakes that keep failing fast while online (web/src/refusals.ts) it goes back to the login form
 * and says why; a demo user an administrator deactivated gets no more dev tokens (403), and the page
 * says so at once. The outbox and the draft are kept, as for an expired token (session.test.ts).
 * The page is built with the refusal window and the client's backoff scaled down (FAST_HANDSHAKES:
 * 5 fast failures spanning 2 s, not 20 s; retries within 0.5 s, not 30 s): the same rule gives up
 * sooner (test/web/refusals.test.ts checks the real limits with given times).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, deactivatedInTable, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, FAST_HANDSHAKES, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [
    webRoutes({
      assets: await buildWeb({ mode: 'local', timing: FAST_HANDSHAKES }),
      users: DEMO_USERS,
      deactivated: deactivatedInTable,
    }),
  ],
}));

let chrome: Chromium;
let baseUrl: string;

async function loginShown(page: Page, notice: string | RegExp): Promise<void> {
  await page.locator('#login-error', { hasText: notice }).waitFor({ timeout: 90_000 });
  expect(await page.isVisible('#login')).toBe(true);
  expect(await page.isVisible('#shell')).toBe(false);
  expect(await page.evaluate('sessionStorage.getItem("chat.session")')).toBeNull();
}

describe('a refused sign-in on the web page', () => {
  beforeAll(async () => {
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('a pasted token with a bad signature (not expired): back to the login form, which says why', async () => {
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.waitForSelector('#login', { state: 'visible' });
    const good = await stack.token('carol');
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await page.fill('#token-input', `${header}.${payload}.${flipped}`);
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('#shell', { state: 'visible' });
    await loginShown(page, 'Your sign-in was refused, or the server cannot be reached. Sign in again.');
    await context.close();
  }, 120_000);

  it('a demo user deactivated by an administrator: back to the login form, the draft kept', async () => {
    const dave = await openAs(chrome, baseUrl, 'dave');
    const chatId = (await dave.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      const { chat } = await c.request('createChat', { kind: 'direct', userId: 'carol' });
      while (!c.chat(chat.chatId)) await new Promise((r) => setTimeout(r, 25));
      window.chatApp.open(chat.chatId);
      return chat.chatId;
    })()`)) as string;
    await dave.page.fill('#text', 'not sent yet');
    const admin = await TestClient.connect(await stack.urlFor('admin', { roles: ['admin'] }));
    try {
      await admin.ok('deactivateUser', { userId: 'dave' });
      await loginShown(dave.page, 'Your sign-in was refused (userId: deactivated by an administrator)');
      const draft = JSON.parse(String(await dave.page.evaluate('sessionStorage.getItem("chat.draft")')));
      expect(draft).toEqual({ userId: 'dave', chatId, text: 'not sent yet' });
      // The dev server gives no token to a deactivated user (the socket would refuse it anyway).
      const refused = await fetch(`${baseUrl}/_local/dev-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'dave' }),
      });
      expect(refused.status).toBe(403);
      await admin.ok('reactivateUser', { userId: 'dave' });
      const again = await fetch(`${baseUrl}/_local/dev-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'dave' }),
      });
      expect(again.status).toBe(200);
    } finally {
      await admin.ok('reactivateUser', { userId: 'dave' }).catch(() => undefined);
      await admin.close();
      await dave.context.close();
    }
    expect(dave.errors.filter((e) => !/WebSocket|403|Failed to load resource/.test(e))).toEqual([]);
  }, 120_000);
});
