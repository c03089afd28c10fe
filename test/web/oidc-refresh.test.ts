/**
 * The deployed flavour's sign-in (mode `oidc`) renews its ID token with the refresh token, in
 * Chromium on a local stack, against a small OpenID provider on another origin (fake-oidc.ts): an ID
 * token about to expire is renewed while connected (the socket moves to the new one), one that
 * expired while offline is renewed when back online, a reload with an expired ID token stays signed
 * in, and only a refused refresh sends the user back to the login, with what was written kept and
 * sent once after signing in again. No login in between, and no Content-Security-Policy violation
 * (the token endpoint is another origin).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setWriteTiming } from '../../lambdas/domain/timing.ts';
import type { LocalHttpRoute } from '../../local/gateway.ts';
import { devToken } from '../../local/token.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, CSP_REPORTER, launchChromium } from './browser.ts';
import { FAKE_OIDC_CLIENT_ID, type FakeOidc, startFakeOidc } from './fake-oidc.ts';

// The page's config needs the stack's URL: its route is set once the stack has started.
let web: LocalHttpRoute | undefined;
const stack = useTestStack(() => ({ httpRoutes: [(req, res) => web?.(req, res) ?? false] }));

let chrome: Chromium;
let provider: FakeOidc;
let baseUrl: string;
const cspViolations: string[] = [];

interface Stored {
  idToken: string;
  refreshToken?: string;
}

async function newPage(): Promise<Page> {
  const context = await chrome.browser.newContext();
  await context.addInitScript({ content: CSP_REPORTER });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith('CSP violation')) cspViolations.push(m.text());
  });
  return page;
}

/** Signs in through the provider (its login is instant) and waits for the open socket. */
async function signIn(page: Page): Promise<void> {
  if (!page.url().startsWith(baseUrl)) await page.goto(baseUrl);
  await page.click('#oidc-button');
  await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
}

const stored = async (page: Page) =>
  JSON.parse(String(await page.evaluate('sessionStorage.getItem("chat.session")'))) as Stored | null;

/** Replaces the tab's ID token with one that expired two minutes ago. */
async function expireIdToken(page: Page): Promise<void> {
  const s = await stored(page);
  const idToken = await devToken(provider.user, { ttlSeconds: -120 });
  const entry = JSON.stringify(JSON.stringify({ ...s, idToken }));
  await page.evaluate(`sessionStorage.setItem("chat.session", ${entry})`);
}

/** Records the client's state changes in `window.states`. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(`window.states = [];
    window.chatApp.client.on('state', (s) => window.states.push(s.state + ' ' + (s.reason ?? '')))`);
}
const states = (page: Page) => page.evaluate('window.states') as Promise<string[]>;

const refreshes = () => provider.grants.filter((g) => g.grant === 'refresh_token');
const codeGrant = () => provider.grants.find((g) => g.grant === 'authorization_code');

async function loginHidden(page: Page): Promise<void> {
  expect(await page.isVisible('#login')).toBe(false);
  expect(await page.isVisible('#shell')).toBe(true);
}

describe('the OIDC sign-in renews its ID token with the refresh token', () => {
  beforeAll(async () => {
    // A sync cursor settles 1.75 s after a write, not 6 s (lambdas/domain/timing.ts): the message
    // sent after signing in again is caught up sooner (settled()).
    setWriteTiming({ allocTimeoutMs: 2000, writeDeadlineMs: 1500, skewMarginMs: 250, claimDeadlineMs: 3000 });
    provider = await startFakeOidc();
    const assets = await buildWeb({
      mode: 'oidc',
      wsUrl: stack.url,
      issuer: provider.url,
      clientId: FAKE_OIDC_CLIENT_ID,
      authorizeUrl: `${provider.url}/authorize`,
      tokenUrl: `${provider.url}/token`,
    });
    web = webRoutes({ assets, users: [] });
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
  }, 120_000);

  beforeEach(() => {
    provider.grants.length = 0;
    provider.ttl = { code: 3600, refresh: 3600 };
    provider.refuse = false;
  });

  afterAll(async () => {
    setWriteTiming(undefined);
    await chrome?.close();
    await provider?.stop();
    expect(cspViolations).toEqual([]);
  });

  it('an ID token about to expire is renewed while connected: the socket moves to the new one', async () => {
    provider.ttl.code = 65; // the client asks for a fresher token a minute before exp: in 5 s
    const page = await newPage();
    await signIn(page);
    await recordStates(page);
    await expect.poll(() => refreshes().length, { timeout: 30_000 }).toBe(1);
    const [renewed] = refreshes();
    expect(renewed?.presented).toBe(codeGrant()?.refreshToken);
    await expect.poll(() => states(page), { timeout: 15_000 }).toEqual(['reconnecting planned', 'open ']);
    // The rotated refresh token is kept with the new ID token.
    expect(await stored(page)).toMatchObject({
      idToken: renewed?.idToken,
      refreshToken: renewed?.refreshToken,
    });
    await loginHidden(page);
    await page.context().close();
  }, 60_000);

  it('an ID token that expired is renewed when back online, not while offline: no login', async () => {
    const page = await newPage();
    await signIn(page);
    await recordStates(page);
    const before = await stored(page);
    await expireIdToken(page);
    await page.context().setOffline(true);
    // Offline, the token function fails and the client tries again later; nothing is asked, nobody
    // is signed out.
    await expect
      .poll(async () => (await states(page)).filter((s) => s === 'reconnecting token-error').length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    expect(refreshes()).toEqual([]);
    expect((await stored(page))?.refreshToken).toBe(before?.refreshToken);
    await loginHidden(page);

    await page.context().setOffline(false);
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    expect(refreshes().map((g) => g.presented)).toEqual([before?.refreshToken]);
    expect((await stored(page))?.idToken).toBe(refreshes()[0]?.idToken);
    await loginHidden(page);
    await page.context().close();
  }, 60_000);

  it('a reload with an expired ID token and a good refresh token stays signed in', async () => {
    const page = await newPage();
    await signIn(page);
    await expireIdToken(page);
    await page.reload();
    // Online: the authorizer accepted a token, and the kept one had expired.
    await page.waitForSelector('#connection[data-state="online"]', { state: 'attached' });
    await loginHidden(page);
    expect(refreshes().map((g) => g.presented)).toEqual([codeGrant()?.refreshToken]);
    expect((await stored(page))?.idToken).toBe(refreshes()[0]?.idToken);
    expect(provider.grants.filter((g) => g.grant === 'authorization_code')).toHaveLength(1);
    await page.context().close();
  }, 60_000);

  it('a refused refresh: the login says so, and what was written is sent after signing in again', async () => {
    const page = await newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.dismiss();
    });
    await signIn(page);
    const chatId = (await page.evaluate(`(async () => {
      const c = window.chatApp.client;
      const { chat } = await c.request('createChat', { kind: 'direct', userId: 'bob' });
      await c.sendMessage(chat.chatId, 'sent online');
      window.chatApp.open(chat.chatId);
      return chat.chatId;
    })()`)) as string;
    await expireIdToken(page);
    await page.context().setOffline(true);
    await page.fill('#text', 'written offline');
    await page.press('#text', 'Enter');
    await page.waitForSelector('[data-pending]');
    await page.fill('#text', 'a draft being typed');
    provider.refuse = true;
    await page.context().setOffline(false);

    await page
      .locator('#login-error', { hasText: 'Your sign-in has expired. Sign in again to send' })
      .waitFor();
    expect(await page.isVisible('#oidc-button')).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("chat.session")')).toBeNull();
    expect(refreshes()).toHaveLength(1);
    expect(dialogs, 'the reload to the login asks nothing').toEqual([]);

    provider.refuse = false;
    await signIn(page);
    await page.evaluate('window.chatApp.client.settled()');
    const texts = await page.evaluate(`window.chatApp.client
      .request('history', { chatId: ${JSON.stringify(chatId)}, limit: 50 })
      .then((ack) => ack.messages.map((m) => m.text))`);
    expect(texts).toEqual(['sent online', 'written offline']);
    expect(await page.inputValue('#text')).toBe('a draft being typed');
    await page.context().close();
  }, 60_000);
});
