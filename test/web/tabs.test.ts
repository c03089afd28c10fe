/**
 * More tabs than the socket cap, in a real browser (system Chromium, headless) on a local stack: the
 * server refuses a user's socket past LIMITS.socketsPerUser with 429, which the page cannot tell from
 * a refused sign-in (test/web/refused.test.ts). A tab whose user already has the cap's worth of other
 * tabs connected (web/src/tabs.ts) does not count its failed handshakes as refusals: it says too many
 * tabs are open, stays signed in past the refusal window (web/src/refusals.ts), and connects once
 * another tab closes. The window is not waited for by the clock: the tab's handshakes are watched
 * until they span it, and one more is made (a page that gave up would show the login form instead).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { REFUSALS } from '../../web/src/refusals.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let baseUrl: string;

/** A new tab of `context` signed in as `userId` (the demo-user picker: each tab has its own session). */
async function openTab(context: BrowserContext, userId: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(baseUrl);
  await page.click(`[data-user-id="${userId}"]`);
  await page.waitForSelector('#shell', { state: 'visible' });
  return page;
}

/**
 * Resolves once more than REFUSALS.count of the page's handshakes, spanning more than
 * REFUSALS.spanMs, have failed, and it made one more (it kept retrying after them).
 */
function handshakesPastTheWindow(made: number[], page: Page): Promise<void> {
  const past = () => {
    // The handshakes before the newest one have failed (the page dialled again after each).
    const first = made[0];
    const failed = made.at(-2);
    return (
      first !== undefined &&
      failed !== undefined &&
      made.length - 1 > REFUSALS.count &&
      failed - first >= REFUSALS.spanMs + 2000
    );
  };
  return new Promise((resolve) => {
    if (past()) resolve();
    page.on('websocket', () => {
      if (past()) resolve();
    });
  });
}

describe('more tabs of one user than the socket cap', () => {
  beforeAll(async () => {
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('the tab past the cap says too many tabs are open, stays signed in, and connects once one closes', async () => {
    const context = await chrome.browser.newContext();
    const errors: string[] = [];
    try {
      const tabs: Page[] = [];
      for (let i = 0; i < LIMITS.socketsPerUser; i++) {
        const tab = await openTab(context, 'alice', errors);
        await tab.waitForSelector('#connection[data-state="online"]');
        tabs.push(tab);
      }
      const extra = await context.newPage();
      const made: number[] = [];
      extra.on('websocket', () => made.push(Date.now()));
      extra.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      extra.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await extra.goto(baseUrl);
      await extra.click('[data-user-id="alice"]');
      await extra.waitForSelector('#shell', { state: 'visible' });

      // Past the refusal window: a page that counted these handshakes would be on the login form.
      await Promise.race([
        handshakesPastTheWindow(made, extra),
        extra.waitForSelector('#login', { state: 'visible', timeout: 0 }),
      ]);
      // Still signed in (a page giving up drops the session before it reloads to the login form).
      expect(await extra.evaluate('sessionStorage.getItem("chat.session")')).not.toBeNull();
      expect(await extra.isVisible('#login')).toBe(false);
      expect(await extra.isVisible('#shell')).toBe(true);
      await extra
        .locator('#tabs-notice', { hasText: 'Too many tabs are open: close one to connect.' })
        .waitFor();
      expect(await extra.isVisible('#connection[data-state="online"]')).toBe(false);

      // One tab closes: the extra one connects (at once, or at its next retry), and the notice goes.
      await tabs.shift()?.close();
      await extra.waitForSelector('#connection[data-state="online"]', { timeout: 60_000 });
      expect(await extra.isVisible('#tabs-notice')).toBe(false);
      expect(await extra.isVisible('#login')).toBe(false);
    } finally {
      await context.close();
    }
    // The refused handshakes (429) are logged by Chromium; nothing else may be.
    expect(errors.filter((e) => !/WebSocket|429|Failed to load resource/.test(e))).toEqual([]);
  }, 240_000);
});
