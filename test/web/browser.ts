/**
 * The system Chromium through playwright-core for the web page's tests: a fresh profile per run,
 * one context per user (its own sessionStorage, its own network emulation), every console error,
 * page error and Content-Security-Policy violation recorded, screenshots under test-results/web/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../../local/stack.ts';
import type { PageTiming } from '../../web/src/config.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = resolve(ROOT, 'test-results/web');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A refusal window and a reconnect backoff scaled down for the tests that wait them out
 * (`buildWeb({ mode: 'local', timing: FAST_HANDSHAKES })`): 5 fast failures spanning 2 s, not 20 s,
 * with the client backing off up to 0.5 s, not 30 s. The same rules (web/src/refusals.ts, whose
 * real limits test/web/refusals.test.ts checks with given times), only sooner.
 */
export const FAST_HANDSHAKES = {
  refusals: { count: 5, fastMs: 3000, spanMs: 2000 },
  backoffBaseMs: 50,
  backoffMaxMs: 500,
} as const satisfies PageTiming;

export interface Chromium {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  // playwright-core's launch starts Chromium on a fresh temporary user-data dir of its own (and
  // refuses --user-data-dir): nothing is left from earlier runs; one context per user.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

export interface UserPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught page errors, as text. */
  readonly errors: string[];
  shot(name: string): Promise<void>;
}

/** Logs every `securitypolicyviolation` of the page as a console error. */
export const CSP_REPORTER = `document.addEventListener('securitypolicyviolation', (e) =>
  console.error('CSP violation: ' + e.effectiveDirective + ' blocked ' + e.blockedURI));`;

/** A new context as `userId` (`hasTouch`: a touch screen, `(hover: none)`): opens the page, picks the user, waits until the socket is open. */
export async function openAs(
  chrome: Chromium,
  baseUrl: string,
  userId: string,
  viewport = { width: 1000, height: 700 },
  hasTouch = false,
): Promise<UserPage> {
  const context = await chrome.browser.newContext({ viewport, hasTouch });
  // A breach of the page's Content-Security-Policy is an error too (Chromium logs some, not all).
  await context.addInitScript({ content: CSP_REPORTER });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${userId} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${userId} page error: ${e.message}`));
  await page.goto(baseUrl);
  await page.click(`[data-user-id="${userId}"]`);
  await page.waitForSelector('#connection[data-state="online"]');
  return {
    context,
    page,
    errors,
    shot: async (name) => {
      await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`) });
    },
  };
}

/** What the page shows now, for a failure's message: connection, open chat, toast, rows, messages. */
export function describePage(page: Page): Promise<string> {
  return page.locator('body').evaluate((body) => {
    const text = (sel: string) => body.querySelector(sel)?.textContent?.trim() ?? '(none)';
    const rows = [...body.querySelectorAll('.chat-row')].map(
      (r) => `${r.getAttribute('data-chat-id')}${r.getAttribute('aria-current') ? ' (open)' : ''}`,
    );
    const messages = [...body.querySelectorAll('#message-list li.msg')].map((m) =>
      m.textContent?.slice(0, 40),
    );
    return [
      `connection: ${text('#connection')}; title: ${text('#chat-title')}; toast: ${text('#toast')}`,
      `rows: ${rows.join(', ')}`,
      `${messages.length} messages, the last: ${JSON.stringify(messages.slice(-3))}`,
    ].join('\n');
  });
}

/**
 * Opens `chatId` from the chat list and waits until `text` shows in it. A click the list swallowed
 * (a row it was redrawing under the pointer) is clicked again, as a user would; the chat's content
 * is not retried: a timeout says what the page showed, with its errors.
 */
export async function openChat(page: Page, chatId: string, text: string, errors: readonly string[] = []) {
  const row = page.locator(`.chat-row[data-chat-id="${chatId}"]`);
  for (let attempt = 1; ; attempt++) {
    await row.click();
    try {
      await page
        .locator(`.chat-row[data-chat-id="${chatId}"][aria-current="true"]`)
        .waitFor({ state: 'attached', timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt === 3)
        throw new Error(`the chat did not open\n${await describePage(page)}`, { cause: error });
    }
  }
  try {
    await page.locator('#message-list li.msg', { hasText: text }).last().waitFor({ timeout: 30_000 });
  } catch (error) {
    const seen = `${await describePage(page)}\nerrors: ${JSON.stringify(errors)}`;
    throw new Error(`"${text}" did not show in the chat\n${seen}`, { cause: error });
  }
}
