/**
 * Many direct chats whose peer left with nothing held (more than getChat's 120 a minute): the page
 * asks for their peers (web/src/peers.ts) the opened chat at once and the other rows within a share
 * of the limit, so it is never refused and names every one in the end; asked all at once, those
 * refused stayed "Direct chat" until the next connect. In a real browser (system Chromium) on a local
 * stack with the windows shortened (the limits themselves real); the peers are plain sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { connectUser } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

/**
 * Windows of 5 s, the server's (RATE_LIMIT_WINDOW_SECONDS, its least) and the page's for its asks
 * (PageTiming.peerWindowMs) alike: the same 120 and 30 a window as a minute each, in a twelfth of the
 * time (130 chats at 30 a minute took about 4 minutes).
 */
const WINDOW_S = 5;
const stack = useTestStack(async () => ({
  httpRoutes: [
    webRoutes({
      assets: await buildWeb({ mode: 'local', timing: { peerWindowMs: WINDOW_S * 1000 } }),
      users: DEMO_USERS,
    }),
  ],
  env: { RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_S) },
}));
let chrome: Chromium;
/** Above getChat's 120 a window. */
const N = 130;
/** No row named for this long: the page stopped asking (it starts 30 a window). */
const STALLED_MS = 4 * WINDOW_S * 1000;

describe('many direct chats whose peer left, on the web page', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await chrome?.close();
  });

  it('names the opened one at once and, in the end, every one', async () => {
    for (let i = 0; i < N; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, N - i) }, async () => {
          const peer = await connectUser(stack, uniqueId('pete'));
          const { chat } = (await peer.ok('createChat', { kind: 'direct', userId: 'alice' })) as {
            chat: { chatId: string };
          };
          await peer.ok('removeMember', { chatId: chat.chatId, userId: peer.userId });
          peer.close();
        }),
      );
    }
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    // All listed, then the last row opened: its peer is asked before the rows waiting.
    await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      const done = () => { const cs = c.chats(); return cs.length === ${N} && cs.every((x) => x.members && x.members.length === 1); };
      while (!done()) await new Promise((r) => setTimeout(r, 50));
      window.chatApp.open(c.chats().at(-1).chatId);
    })()`);
    const title = async () => await alice.page.textContent('#chat-title');
    const opened = Date.now();
    while (['Direct chat', 'Pick a chat'].includes((await title()) ?? '') && Date.now() - opened < 5_000)
      await new Promise((r) => setTimeout(r, 100));
    expect(await title(), 'the opened chat named at once').not.toBe('Direct chat');
    const unnamed = async () =>
      (await alice.page.evaluate(
        `[...document.querySelectorAll('[data-chat-id] .row-title')].filter((e) => e.textContent === 'Direct chat').length`,
      )) as number;
    let left = await unnamed();
    let moved = Date.now();
    while (left > 0) {
      await new Promise((r) => setTimeout(r, 2_000));
      const now = await unnamed();
      if (now < left) moved = Date.now();
      left = now;
      expect(Date.now() - moved, `${left} rows still "Direct chat", none named lately`).toBeLessThan(
        STALLED_MS,
      );
    }
    expect(await alice.page.isVisible('#block')).toBe(true);
    await alice.context.close();
  }, 240_000);
});
