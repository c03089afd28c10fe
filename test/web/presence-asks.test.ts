/**
 * The page asks for an opened chat's presence only for members it does not know lately, and a
 * refused `getPresence` does not fail the open (web/src/presence.ts). Before, every open asked for
 * 50 members: for members in many chats ~700 R, 7 frames of getPresence's limit, so about 17 opens a
 * minute ended in "Could not load the chat". In a real browser (system Chromium) on a local stack.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spendRateLimit } from '../../lambdas/shared/rate-limiter.ts';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;

/** Counts the page's getPresence requests (and their refusals) from now on. */
const COUNT_PRESENCE = `(() => {
  const c = window.chatApp.client;
  const request = c.request.bind(c);
  window.presenceAsks = { sent: 0, answered: 0, refused: 0 };
  c.request = (action, ...rest) => {
    if (action !== 'getPresence') return request(action, ...rest);
    window.presenceAsks.sent++;
    return request(action, ...rest).then(
      (ack) => { window.presenceAsks.answered++; return ack; },
      (e) => { window.presenceAsks.refused++; throw e; },
    );
  };
})()`;

/** Creates a group of `members` as the page's user and opens it; a ping after, so the open has asked. */
async function openGroup(page: Page, members: string[]): Promise<string> {
  return (await page.evaluate(`(async () => {
    const c = window.chatApp.client;
    const { chat } = await c.request('createChat', { kind: 'group', name: 'G', memberIds: ${JSON.stringify(members)} });
    while (!c.chat(chat.chatId)?.members) await new Promise((r) => setTimeout(r, 25));
    window.chatApp.open(chat.chatId);
    return chat.chatId;
  })()`)) as string;
}

/** Waits until `condition` (an expression over `window.presenceAsks`) holds. */
const until = (page: Page, condition: string) =>
  page.evaluate(`(async () => {
    while (!(${condition})) await new Promise((r) => setTimeout(r, 25));
  })()`);

/**
 * What the page asked so far, once the open has asked what it asks (a ping after it) and every
 * getPresence sent has been answered.
 */
async function asked(page: Page): Promise<{ sent: number; refused: number }> {
  await page.evaluate(`window.chatApp.client.request('ping')`);
  await until(
    page,
    'window.presenceAsks.answered + window.presenceAsks.refused === window.presenceAsks.sent',
  );
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => r()))');
  const { sent, refused } = (await page.evaluate('window.presenceAsks')) as { sent: number; refused: number };
  return { sent, refused };
}

describe('presence on opening a chat', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('is asked once for members known lately: opening the chat again asks for none', async () => {
    const bob = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'bob');
    await bob.page.evaluate(COUNT_PRESENCE);
    const group = await openGroup(bob.page, ['carol', 'dave']);
    await until(bob.page, 'window.presenceAsks.answered === 1');
    expect(await asked(bob.page)).toEqual({ sent: 1, refused: 0 });
    await bob.page.evaluate('window.chatApp.open(null)');
    await bob.page.evaluate(`window.chatApp.open(${JSON.stringify(group)})`);
    expect(await asked(bob.page)).toEqual({ sent: 1, refused: 0 });
    expect(bob.errors).toEqual([]);
    await bob.context.close();
  }, 120_000);

  it('refused, the chat still opens: no "Could not load the chat", the members shown', async () => {
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    await alice.page.evaluate(COUNT_PRESENCE);
    await spendRateLimit('alice', 'getPresence');
    await openGroup(alice.page, ['bob', 'carol', 'dave']);
    await until(alice.page, 'window.presenceAsks.refused === 1');
    await asked(alice.page);
    expect(await alice.page.textContent('#toast')).not.toMatch(/could not load the chat/i);
    expect(await alice.page.textContent('#chat-status')).toBe('4 members');
    await alice.context.close();
  }, 120_000);
});
