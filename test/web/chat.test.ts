/**
 * The web chat in a real browser (system Chromium, headless): Alice and Bob on two pages of the page
 * `npm run dev` serves, on a local stack with the demo data. They chat (messages, reply, typing,
 * presence, read ticks); then Bob's page goes offline (network emulation) while Alice sends, edits
 * and deletes, and Bob writes a message of his own; back online, Bob's screen must show exactly what
 * `history` says: every message once, with its latest text, deletions as deletions, nothing pending.
 * No console errors (nor Content-Security-Policy violations) on either page. Screenshots:
 * test-results/web/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setWriteTiming } from '../../lambdas/domain/timing.ts';
import { DEMO_USERS, seedDemoData } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, CSP_REPORTER, launchChromium, openAs, type UserPage } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let alice: UserPage;
let bob: UserPage;
let directId: string;
let baseUrl: string;

interface Shown {
  id: string | null;
  pending: boolean;
  deleted: boolean;
  edited: boolean;
  text: string;
}

/** The messages on a page's screen, as the DOM has them. */
function onScreen(page: Page): Promise<Shown[]> {
  return page.$$eval('#message-list li.msg', (items) =>
    items.map((li) => ({
      id: li.getAttribute('data-message-id'),
      pending: li.hasAttribute('data-pending'),
      deleted: li.hasAttribute('data-deleted'),
      edited: li.hasAttribute('data-edited'),
      text: li.querySelector('.text:not(.deleted)')?.textContent ?? '',
    })),
  );
}

/** The same, from the server: `history` of the chat as Bob, over a socket of its own. */
async function onServer(chatId: string): Promise<Shown[]> {
  const client = await TestClient.connect(await stack.urlFor('bob'));
  try {
    const ack = await client.ok('history', { chatId, limit: 100 });
    const messages = ack.messages as {
      messageId: string;
      deleted: boolean;
      editedAt: string | null;
      text: string;
    }[];
    return messages.map((m) => ({
      id: m.messageId,
      pending: false,
      deleted: m.deleted,
      edited: m.editedAt !== null,
      text: m.deleted ? '' : m.text,
    }));
  } finally {
    await client.close();
  }
}

/** Waits for the connection label (hidden on a phone while a chat is open, so: attached). */
function connection(page: Page, state: 'online' | 'offline'): Promise<unknown> {
  return page.waitForSelector(`#connection[data-state="${state}"]`, { state: 'attached' });
}

/** Waits until the page's client is open, caught up and has nothing in its outbox. */
function settled(page: Page): Promise<unknown> {
  return page.evaluate('window.chatApp.client.settled()');
}

async function send(u: UserPage, text: string): Promise<void> {
  await u.page.fill('#text', text);
  await u.page.press('#text', 'Enter');
}

/**
 * Runs a message's action (Reply, Edit, Delete) through its button, as a mouse user would: the
 * actions show on hover, and stay shown while events arrive (the list patches, it does not re-render).
 */
async function act(u: UserPage, text: string, action: 'Reply' | 'Edit' | 'Delete'): Promise<void> {
  const item = u.page.locator('#message-list li.msg', { hasText: text }).last();
  await item.hover();
  await item.getByRole('button', { name: action, exact: true }).click({ timeout: 10_000 });
}

function sees(u: UserPage, text: string): Promise<unknown> {
  return u.page.locator('#message-list li.msg .text', { hasText: text }).first().waitFor();
}

describe('the web chat in Chromium', () => {
  beforeAll(async () => {
    // A sync cursor settles 1.75 s after a write, not 6 s (lambdas/domain/timing.ts): the page back
    // online is caught up with what Alice just changed sooner (settled()).
    setWriteTiming({ allocTimeoutMs: 2000, writeDeadlineMs: 1500, skewMarginMs: 250, claimDeadlineMs: 3000 });
    const seed = await seedDemoData();
    const direct = seed.chats.find((c) => c.name.includes('direct'));
    if (!direct) throw new Error('no direct chat in the demo data');
    directId = direct.chatId;
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
    alice = await openAs(chrome, baseUrl, 'alice');
    bob = await openAs(chrome, baseUrl, 'bob', { width: 390, height: 760 });
  }, 120_000);

  afterAll(async () => {
    setWriteTiming(undefined);
    await chrome?.close();
  });

  it('serves the page and dev tokens for demo users only, JSON only', async () => {
    const page = await fetch(`${baseUrl}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    // Not in another site's frame; a policy of its own (local/web-csp.ts) in the page.
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js">');
    const policy = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1] ?? '';
    for (const directive of ["script-src 'self'", "object-src 'none'", "base-uri 'none'"]) {
      expect(policy).toContain(directive);
    }
    const token = (body: string, type = 'application/json') =>
      fetch(`${baseUrl}/_local/dev-token`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await token('{"userId":"alice"}')).status).toBe(200);
    expect((await token('{"userId":"mallory"}')).status).toBe(400);
    expect((await token('{"userId":"alice"}', 'text/plain')).status).toBe(415);
    // The Management API is still there beside it.
    expect((await fetch(`${baseUrl}/@connections/nobody`)).status).toBe(410);
  });

  it('lists the chats with previews and unread badges, and two users chat live', async () => {
    // Bob has one unread message from Alice in the direct chat (the demo data); Alice has none.
    const bobRow = bob.page.locator(`.chat-row[data-chat-id="${directId}"]`);
    await bobRow.locator('.preview', { hasText: 'Yes, see you there.' }).waitFor();
    const aliceRow = alice.page.locator(`.chat-row[data-chat-id="${directId}"]`);
    await aliceRow.locator('.badge').waitFor();
    await alice.shot('1-alice-chats');

    await aliceRow.click();
    await bobRow.click();
    await alice.page.waitForSelector('#chat-status:text("online")');
    await send(alice, 'Hello Bob, from a browser');
    await sees(bob, 'Hello Bob, from a browser');
    // Bob reads it (his page is open on the chat): Alice's message shows two blue ticks.
    await alice.page
      .locator('#message-list li.msg', { hasText: 'Hello Bob, from a browser' })
      .locator('[data-ticks="Read"]')
      .waitFor();

    await bob.page.fill('#text', 'Typing…');
    await alice.page.waitForSelector('#chat-status:text("Bob is typing")');
    await bob.page.fill('#text', '');
    await act(bob, 'Hello Bob, from a browser', 'Reply');
    await send(bob, 'Hi Alice! Replying here.');
    await sees(alice, 'Hi Alice! Replying here.');
    await alice.page
      .locator('#message-list li.msg', { hasText: 'Hi Alice! Replying here.' })
      .locator('blockquote', { hasText: 'Alice: Hello Bob, from a browser' })
      .waitFor();
    await alice.shot('2-alice-chatting');
    await bob.shot('2-bob-chatting-phone');
  });

  it('brings an offline page back to exactly the server state: nothing lost, nothing twice', async () => {
    await send(alice, 'before 1');
    await send(alice, 'before 2');
    await sees(bob, 'before 2');

    await bob.context.setOffline(true);
    await connection(bob.page, 'offline');
    // Alice sends, edits and deletes (old and new messages); Bob writes one of his own.
    await act(alice, 'before 1', 'Edit');
    await send(alice, 'before 1, edited');
    await act(alice, 'before 2', 'Delete');
    await send(alice, 'during 1');
    await send(alice, 'during 2');
    await send(alice, 'during 3');
    await act(alice, 'during 1', 'Edit');
    await send(alice, 'during 1, edited');
    await act(alice, 'during 2', 'Delete');
    await send(bob, 'written offline');
    await settled(alice.page);
    await sees(alice, 'during 1, edited');

    // Bob's screen has not changed: the socket is really gone, his message waits in the outbox. His
    // page draws it on its next animation frame (app.ts), which on a loaded machine may come after
    // Alice's page settled: the screen is read once it shows the message pending.
    await bob.page
      .locator('#message-list li.msg[data-pending]', { hasText: 'written offline' })
      .waitFor({ timeout: 10_000 });
    const stale = await onScreen(bob.page);
    expect(stale.some((m) => m.text.startsWith('during'))).toBe(false);
    expect(stale.find((m) => m.text === 'before 2')?.deleted).toBe(false);
    expect(stale.filter((m) => m.pending).map((m) => m.text)).toEqual(['written offline']);
    await bob.shot('3-bob-offline');

    await bob.context.setOffline(false);
    await connection(bob.page, 'online');
    await sees(alice, 'written offline');
    await settled(bob.page);
    const server = await onServer(directId);
    await expect.poll(() => onScreen(bob.page), { timeout: 20_000 }).toEqual(server);
    await expect.poll(() => onScreen(alice.page), { timeout: 20_000 }).toEqual(server);

    const ids = server.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(server.filter((m) => m.text === 'written offline')).toHaveLength(1);
    expect(server.find((m) => m.text === 'before 1, edited')?.edited).toBe(true);
    expect(server.filter((m) => m.deleted)).toHaveLength(2);
    await bob.shot('4-bob-back-online');
    await alice.shot('4-alice-after');
  });

  it('logged no console errors on either page', () => {
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it('runs no script but its own: an injected inline script is refused', async () => {
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await context.addInitScript({ content: CSP_REPORTER });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.text().startsWith('CSP violation')) violations.push(m.text());
    });
    await page.goto(baseUrl);
    await page.waitForSelector('#login', { state: 'visible' });
    const ran = await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.head.append(script);
      return window.injected === true;
    })()`);
    expect(ran).toBe(false);
    await expect.poll(() => violations).toEqual(['CSP violation: script-src-elem blocked inline']);
    await context.close();
  });
});
