/**
 * The deployed flavour's login (mode `oidc`) in Chromium, on a gateway that only serves the page: a
 * sign-in that comes back and fails (the provider's redirect with a `state` this tab did not send,
 * or a token exchange that fails) shows the OIDC login, with the Sign in button to try again and the
 * reason, not the local picker and its paste form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalGateway } from '../../local/gateway.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { type Chromium, launchChromium } from './browser.ts';

let chrome: Chromium;
let gateway: LocalGateway;
let baseUrl: string;

describe('the OIDC login after a failed callback', () => {
  beforeAll(async () => {
    const assets = await buildWeb({
      mode: 'oidc',
      wsUrl: 'wss://chat.invalid/prod',
      issuer: 'https://idp.invalid',
      clientId: 'c1',
      authorizeUrl: 'https://idp.invalid/authorize',
      tokenUrl: 'https://idp.invalid/token',
    });
    gateway = new LocalGateway({ routes: [], port: 0, httpRoutes: [webRoutes({ assets, users: [] })] });
    await gateway.start();
    baseUrl = `http://127.0.0.1:${gateway.port}`;
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
    await gateway?.stop();
  });

  it('a state this tab did not send: the Sign in button and the reason', async () => {
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${baseUrl}/?code=abc&state=zzz`);
    await page.locator('#login-error', { hasText: 'Sign-in state mismatch.' }).waitFor();
    expect(await page.isVisible('#oidc-button')).toBe(true);
    expect(await page.isVisible('#token-form')).toBe(false);
    expect(await page.textContent('#login-intro')).toBe('Sign in to chat.');
    expect(new URL(page.url()).search).toBe('');
    await context.close();
  });
});
