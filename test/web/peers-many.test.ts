/**
 * Many direct chats whose peer left with nothing held (more than getChat's 120 a minute): the page
 * names every one from the client's `ChatInfo.peerId` (the server's ChatSummary names the peer), at
 * once and without a `getChat` each. Asked one by one, as the page did before, they took minutes
 * within a share of the limit; asked all at once, those refused stayed "Direct chat". In a real
 * browser (system Chromium) on a local stack, the limits real; the peers are plain sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { connectUser } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));
let chrome: Chromium;
/** Above getChat's 120 a minute. */
const N = 130;

describe('many direct chats whose peer left, on the web page', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await chrome?.close();
  });

  it('names every one once listed, asking getChat for none of them', async () => {
    const peers: string[] = [];
    for (let i = 0; i < N; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, N - i) }, async () => {
          const peer = await connectUser(stack, uniqueId('pete'));
          const { chat } = (await peer.ok('createChat', { kind: 'direct', userId: 'alice' })) as {
            chat: { chatId: string };
          };
          await peer.ok('removeMember', { chatId: chat.chatId, userId: peer.userId });
          peers.push(peer.userId);
          peer.close();
        }),
      );
    }
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    let asked = 0;
    alice.page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        if (String(payload).includes('"getChat"')) asked++;
      }),
    );
    await alice.page.reload();
    const listed = await alice.page.evaluate(`(async () => {
      while (!window.chatApp?.client) await new Promise((r) => setTimeout(r, 25));
      const c = window.chatApp.client;
      const done = () => { const cs = c.chats(); return cs.length === ${N} && cs.every((x) => x.members && x.members.length === 1); };
      while (!done()) await new Promise((r) => setTimeout(r, 50));
      return c.chats().map((x) => x.peerId);
    })()`);
    expect(new Set(listed as string[])).toEqual(new Set(peers));
    // The rows are titled with them as soon as they render: none left "Direct chat".
    const unnamed = async () =>
      (await alice.page.evaluate(
        `[...document.querySelectorAll('[data-chat-id] .row-title')].filter((e) => e.textContent === 'Direct chat').length`,
      )) as number;
    const rendered = Date.now();
    while ((await unnamed()) > 0 && Date.now() - rendered < 2_000)
      await new Promise((r) => setTimeout(r, 100));
    expect(await unnamed(), 'rows still "Direct chat"').toBe(0);
    expect(asked, 'getChat frames for chats only listed').toBe(0);
    // Opened: titled at once, with its Block button.
    const last = (listed as string[]).at(-1) as string;
    await alice.page.evaluate(`window.chatApp.open(window.chatApp.client.chats().at(-1).chatId)`);
    await alice.page.locator('#block', { hasText: 'Block' }).waitFor();
    expect(await alice.page.textContent('#chat-title')).toBe(last[0]?.toUpperCase() + last.slice(1));
    await alice.context.close();
  }, 240_000);
});
