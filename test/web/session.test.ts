/**
 * The page's session in a real browser (system Chromium, headless) on a local stack: a pasted token
 * is not renewed, so a stored one that has expired is dropped on load, and a client that stops for
 * an expired or refused token sends the user back to the login form, which says why. What was
 * written meanwhile (the outbox, the draft) waits for the same user's next sign-in and is sent once;
 * leaving the page with messages in the outbox asks first. The token form works as soon as the login
 * form shows, before the demo users have loaded.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtClaims } from '../../client/src/util.ts';
import { CLOCK_TOLERANCE_SECONDS } from '../../lambdas/auth/verifier.ts';
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

/**
 * When the server refuses `token` (its `exp` plus the 5 s clock tolerance: lambdas/auth/verifier.ts),
 * with half a second to spare; in ms. The server runs on this machine's clock.
 */
function pastTolerance(token: string): number {
  return (jwtClaims(token).exp ?? 0) * 1000 + CLOCK_TOLERANCE_SECONDS * 1000 + 500;
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

/**
 * Creates (or finds) Alice's direct chat with Bob, sends `first` in it, and opens it once the client
 * holds it (its chat.created or the first listChats: either can come after createChat's ack, late on
 * a loaded machine). The page shows only chats the client holds, its pending sends too: a test that
 * went offline before would wait for a `[data-pending]` that never shows.
 */
async function openChatWithBob(page: Page, first?: string): Promise<string> {
  return (await page.evaluate(`(async () => {
    const c = window.chatApp.client;
    const { chat } = await c.request('createChat', { kind: 'direct', userId: 'bob' });
    ${first ? `await c.sendMessage(chat.chatId, ${JSON.stringify(first)});` : ''}
    while (!c.chat(chat.chatId)) await new Promise((resolve) => setTimeout(resolve, 25));
    window.chatApp.open(chat.chatId);
    return chat.chatId;
  })()`)) as string;
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

  it('a pasted token that the server refuses as expired: back to the login form, which says so', async () => {
    const page = await newPage();
    await paste(page, await stack.token('alice', { ttlSeconds: -60 }));
    // A browser cannot see the handshake's 401; the token's exp says why it was refused.
    await loginShown(page, 'Your sign-in has expired. Sign in again.');
    await page.context().close();
  });

  it('a pasted token that expires while connected: TOKEN_EXPIRED, then the login form', async () => {
    // Long enough for the handshake (accepted until exp and the 5 s clock tolerance: 7 s, where it
    // takes well under 1 s) on a loaded machine.
    const page = await newPage();
    const token = await stack.token('alice', { ttlSeconds: 2 });
    await paste(page, token);
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    // Past exp and the server's 5 s clock tolerance: the next request is answered TOKEN_EXPIRED.
    await new Promise((r) => setTimeout(r, Math.max(0, pastTolerance(token) - Date.now())));
    // On a loaded machine the client's own first requests (its sync) may have come that late and been
    // answered so already: then the page is on its way to the login form, with no client left to ask.
    await page
      .evaluate('void window.chatApp?.client.request("listChats").catch(() => undefined)')
      .catch(() => undefined);
    await loginShown(page, 'Your sign-in has expired');
    await page.context().close();
  }, 60_000);

  it('a pasted token that expires while offline: the outbox and the draft wait for the next sign-in', async () => {
    const page = await newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.dismiss();
    });
    // Long enough to sign in and send one message (accepted until exp and the 5 s clock tolerance: 7 s,
    // where it takes about 1 s) on a loaded machine.
    const token = await stack.token('alice', { ttlSeconds: 2 });
    await paste(page, token);
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    const chatId = await openChatWithBob(page, 'sent online');
    await page.context().setOffline(true);
    await page.fill('#text', 'written offline');
    await page.press('#text', 'Enter');
    await page.waitForSelector('[data-pending]');
    await page.fill('#text', 'a draft being typed');
    // Past exp and the server's 5 s clock tolerance: reconnecting is refused.
    await new Promise((r) => setTimeout(r, Math.max(0, pastTolerance(token) - Date.now())));
    await page.context().setOffline(false);
    await loginShown(page, 'Your sign-in has expired. Sign in again to send what is waiting.');
    expect(dialogs, 'the reload to the login form asks nothing').toEqual([]);

    await paste(page, await stack.token('alice'));
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    await page.evaluate('window.chatApp.client.settled()');
    const texts = await page.evaluate(`window.chatApp.client
      .request('history', { chatId: ${JSON.stringify(chatId)}, limit: 50 })
      .then((ack) => ack.messages.map((m) => m.text))`);
    expect(texts).toEqual(['sent online', 'written offline']);
    expect(await page.inputValue('#text')).toBe('a draft being typed');
    await page.locator('#message-list .msg:not([data-pending])', { hasText: 'written offline' }).waitFor();
    await page.context().close();
  }, 90_000);

  it('leaving the page with messages in the outbox asks first', async () => {
    const page = await newPage();
    await paste(page, await stack.token('alice'));
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    await openChatWithBob(page);
    await page.context().setOffline(true);
    await page.fill('#text', 'not sent yet');
    await page.press('#text', 'Enter');
    await page.waitForSelector('[data-pending]');
    const asked = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    const dialog = await asked;
    expect(dialog.type()).toBe('beforeunload');
    await dialog.accept();
    await page.context().close();
  });

  it('signing out with messages in the outbox asks first, and then discards them', async () => {
    const page = await newPage();
    await paste(page, await stack.token('alice'));
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    await openChatWithBob(page);
    await page.context().setOffline(true);
    await page.fill('#text', 'discarded on sign-out');
    await page.press('#text', 'Enter');
    await page.waitForSelector('[data-pending]');
    const stored = () => page.evaluate('sessionStorage.getItem("chat.outbox.alice")');
    expect(await stored()).toContain('discarded on sign-out');

    page.once('dialog', (d) => void d.dismiss());
    await page.click('#sign-out');
    await page.waitForSelector('[data-pending]');
    expect(await page.isVisible('#shell')).toBe(true);

    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(`${d.type()}: ${d.message()}`);
        void d.accept();
      }),
    );
    // The reload to the login form (after the outbox is dropped) fails offline; back online, the tab
    // opens the page again.
    const reloaded = page.waitForEvent('requestfailed', (r) => r.resourceType() === 'document');
    await page.click('#sign-out');
    expect(await asked).toBe('confirm: Sign out and discard 1 change(s) not sent yet?');
    await reloaded;
    await page.context().setOffline(false);
    await page.goto(baseUrl);
    await page.waitForSelector('#login', { state: 'visible' });
    expect(await stored()).toBeNull();
    await paste(page, await stack.token('alice'));
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    const chatId = await openChatWithBob(page);
    const texts = await page.evaluate(`window.chatApp.client
      .request('history', { chatId: ${JSON.stringify(chatId)}, limit: 50 })
      .then((ack) => ack.messages.map((m) => m.text))`);
    expect(texts).not.toContain('discarded on sign-out');
    await page.context().close();
  });

  it('a token pasted while the demo users are still loading signs in (the form is never submitted as a GET)', async () => {
    const page = await (await chrome.browser.newContext()).newPage();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The demo users' list is slow to come (a loaded machine): the login form shows before it.
    await page.route('**/_local/dev-users', async (route) => {
      await held;
      await route.continue().catch(() => undefined);
    });
    await page.goto(baseUrl);
    await page.waitForSelector('#login', { state: 'visible' });
    const away = page.waitForEvent('framenavigated').then(
      () => `navigated to ${page.url()}`,
      () => 'closed',
    );
    await paste(page, await stack.token('alice'));
    const online = page.waitForSelector('#connection[data-state="online"]', { state: 'attached' }).then(
      () => 'online',
      (error: Error) => error.message,
    );
    expect(await Promise.race([online, away])).toBe('online');
    expect(page.url()).not.toContain('token=');
    release();
    await page.context().close();
  });
});
