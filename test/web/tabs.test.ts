/**
 * More tabs than the socket cap, in a real browser (system Chromium, headless) on a local stack: the
 * server refuses a user's socket past LIMITS.socketsPerUser with 429, which the page cannot tell from
 * a refused sign-in (test/web/refused.test.ts). A tab whose user already has the cap's worth of other
 * tabs connected (web/src/tabs.ts) does not count its failed handshakes as refusals: it says too many
 * tabs are open, stays signed in past the refusal window (web/src/refusals.ts), and connects once
 * another tab closes. The window is not waited for by the clock: the tab's handshakes are watched
 * until they span it, and one more is made (a page that gave up would show the login form instead).
 * The page is built with the window and the client's backoff scaled down (FAST_HANDSHAKES: 2 s, not
 * 20 s; retries within 0.5 s, not 30 s): what is proved is the same relation, that handshakes failing
 * beyond the window the page applies do not send it to the login form while the cap is full.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, FAST_HANDSHAKES, launchChromium } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [
    webRoutes({ assets: await buildWeb({ mode: 'local', timing: FAST_HANDSHAKES }), users: DEMO_USERS }),
  ],
}));

/** The refusal window of the page the test built. */
const REFUSALS = FAST_HANDSHAKES.refusals;

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
      // The cap's worth of tabs, opened together (each connects once: no more than the cap).
      const tabs = await Promise.all(
        Array.from({ length: LIMITS.socketsPerUser }, async () => {
          const tab = await openTab(context, 'alice', errors);
          await tab.waitForSelector('#connection[data-state="online"]');
          return tab;
        }),
      );
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
