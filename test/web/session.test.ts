/**
 * The page's session in a real browser (system Chromium, headless) on a local stack: a pasted token
 * is not renewed, so a stored one that has expired is dropped on load, and a client that stops for
 * an expired or refused token sends the user back to the login form, which says why.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let baseUrl: string;

async function newPage(): Promise<Page> {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.waitForSelector('#login', { state: 'visible' });
  return page;
}

async function paste(page: Page, token: string): Promise<void> {
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
}

/** The login form is back (after a reload), with `notice` under it. */
async function loginShown(page: Page, notice: string): Promise<void> {
  await page.locator('#login-error', { hasText: notice }).waitFor();
  expect(await page.isVisible('#login')).toBe(true);
  expect(await page.isVisible('#shell')).toBe(false);
  expect(await page.evaluate('sessionStorage.getItem("chat.session")')).toBeNull();
}

describe('the web page and its token', () => {
  beforeAll(async () => {
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('drops a stored token that has expired: a reload shows the login form', async () => {
    const page = await newPage();
    const token = await stack.token('alice', { ttlSeconds: -60 });
    const session = JSON.stringify({ kind: 'token', token, wsUrl: stack.url });
    await page.evaluate(`sessionStorage.setItem("chat.session", ${JSON.stringify(session)})`);
    await page.reload();
    await page.waitForSelector('#login', { state: 'visible' });
    expect(await page.isVisible('#shell')).toBe(false);
    expect(await page.evaluate('sessionStorage.getItem("chat.session")')).toBeNull();
    await page.context().close();
  });

  it('a pasted token that the server refuses: back to the login form', async () => {
    const page = await newPage();
    await paste(page, await stack.token('alice', { ttlSeconds: -60 }));
    await loginShown(page, 'Your sign-in was refused');
    await page.context().close();
  });

  it('a pasted token that expires while connected: TOKEN_EXPIRED, then the login form', async () => {
    const page = await newPage();
    await paste(page, await stack.token('alice', { ttlSeconds: 1 }));
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    // Past exp and the server's 5 s clock tolerance: the next request is answered TOKEN_EXPIRED.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    await page.evaluate('void window.chatApp.client.request("listChats").catch(() => undefined)');
    await loginShown(page, 'Your sign-in has expired');
    await page.context().close();
  }, 60_000);
});
