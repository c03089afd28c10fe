/**
 * A direct chat whose other member left (they may: docs/protocol.md, removeMember) lists the user
 * alone and names no peer. The page still titles it with the peer and keeps its Block button, taken
 * from the peer's messages held: without it the user could not block someone who, until blocked, may
 * come back into the chat at will (createChat of the pair). In a real browser (system Chromium) on a
 * local stack; the peer is a plain socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { closeAll, connectUser, settle } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;

describe('a direct chat the other member left, on the web page', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('keeps the peer as its title and its Block button, which blocks them', async () => {
    const peer = await connectUser(stack, uniqueId('pete'));
    const { chat } = (await peer.ok('createChat', { kind: 'direct', userId: 'alice' })) as {
      chat: { chatId: string };
    };
    await peer.ok('sendMessage', { chatId: chat.chatId, text: 'hi alice' });
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      while (!c.chat(${JSON.stringify(chat.chatId)}) || c.messages(${JSON.stringify(chat.chatId)}).length === 0)
        await new Promise((r) => setTimeout(r, 25));
      window.chatApp.open(${JSON.stringify(chat.chatId)});
    })()`);
    await alice.page.locator('#block', { hasText: 'Block' }).waitFor();
    await peer.ok('removeMember', { chatId: chat.chatId, userId: peer.userId });
    await settle(stack, peer);
    // The page took the peer's member.left: it lists alice alone.
    await alice.page.waitForFunction(
      `window.chatApp.client.chat(${JSON.stringify(chat.chatId)})?.members?.length === 1`,
    );
    const title = peer.userId[0]?.toUpperCase() + peer.userId.slice(1);
    expect(await alice.page.textContent('#chat-title')).toBe(title);
    expect(await alice.page.isVisible('#block')).toBe(true);
    await alice.page.locator('#block', { hasText: 'Block' }).click();
    await alice.page.locator('#block', { hasText: 'Unblock' }).waitFor();
    // Blocked: the peer cannot bring the chat back.
    const refused = await peer.request('createChat', { kind: 'direct', userId: 'alice' });
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    await alice.context.close();
    await closeAll(stack, peer);
  }, 120_000);
});
