/**
 * A direct chat whose other member left (they may: docs/protocol.md, removeMember) lists the user
 * alone. The page still titles it with the peer and keeps its Block button, taken
 * from the Chat's `peerId` (also with none of their messages held), or for a chat from before the
 * server named it, from the peer's messages held: without it the user could not block someone who,
 * until blocked, may come back into the chat at will (createChat of the pair). In a real browser
 * (system Chromium) on a local stack; the peer is a plain socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { closeAll, connectUser, settle, type UserSocket } from '../support/chat.ts';
import { olderThanThePair } from '../support/older-chats.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;

/**
 * Alice clicks the page's Block, which turns to Unblock; blocked, the peer cannot bring the chat back
 * (createChat FORBIDDEN). Then both go.
 */
async function blocksOnPage(alice: Awaited<ReturnType<typeof openAs>>, peer: UserSocket): Promise<void> {
  await alice.page.locator('#block', { hasText: 'Block' }).click();
  await alice.page.locator('#block', { hasText: 'Unblock' }).waitFor();
  const refused = await peer.request('createChat', { kind: 'direct', userId: 'alice' });
  expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  await alice.context.close();
  await closeAll(stack, peer);
}

describe('a direct chat the other member left, on the web page', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('keeps the peer as its title and its Block button, which blocks them (an older chat: from their messages)', async () => {
    const peer = await connectUser(stack, uniqueId('pete'));
    const { chat } = (await peer.ok('createChat', { kind: 'direct', userId: 'alice' })) as {
      chat: { chatId: string };
    };
    // A chat created before the server named the peer (no pair on META): no peerId once they left.
    await olderThanThePair(stack, chat.chatId);
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
    // The page took the peer's member.left: it lists alice alone, and getChat names no peer.
    await alice.page.waitForFunction(
      `window.chatApp.client.chat(${JSON.stringify(chat.chatId)})?.members?.length === 1`,
    );
    const named = `window.chatApp.client.request('getChat', { chatId: ${JSON.stringify(chat.chatId)} })
      .then((ack) => ack.chat.peerId ?? null)`;
    expect(await alice.page.evaluate(named)).toBeNull();
    const title = peer.userId[0]?.toUpperCase() + peer.userId.slice(1);
    expect(await alice.page.textContent('#chat-title')).toBe(title);
    expect(await alice.page.isVisible('#block')).toBe(true);
    await blocksOnPage(alice, peer);
  }, 120_000);

  it('names the peer with none of their messages held: from the Chat’s peerId', async () => {
    const peer = await connectUser(stack, uniqueId('pete'));
    const { chat } = (await peer.ok('createChat', { kind: 'direct', userId: 'alice' })) as {
      chat: { chatId: string };
    };
    // They leave before writing anything: the page holds none of their messages, only alice as member.
    await peer.ok('removeMember', { chatId: chat.chatId, userId: peer.userId });
    await settle(stack, peer);
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    const id = JSON.stringify(chat.chatId);
    await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      while (c.chat(${id})?.members?.length !== 1) await new Promise((r) => setTimeout(r, 25));
      window.chatApp.open(${id});
    })()`);
    const title = peer.userId[0]?.toUpperCase() + peer.userId.slice(1);
    await alice.page.locator('#block', { hasText: 'Block' }).waitFor();
    expect(await alice.page.evaluate(`window.chatApp.client.messages(${id}).length`)).toBe(0);
    expect(await alice.page.textContent('#chat-title')).toBe(title);
    // The chat list's row is titled with them too.
    await alice.page.locator(`[data-chat-id=${id}] .row-title`, { hasText: title }).waitFor();
    await blocksOnPage(alice, peer);
  }, 120_000);
  it('an older chat whose server names no peer: no Block, and no getChat asked for it, also after a reload', async () => {
    const peer = await connectUser(stack, uniqueId('pete'));
    const { chat } = (await peer.ok('createChat', { kind: 'direct', userId: 'alice' })) as {
      chat: { chatId: string };
    };
    await olderThanThePair(stack, chat.chatId);
    await peer.ok('removeMember', { chatId: chat.chatId, userId: peer.userId });
    await settle(stack, peer);
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    const id = JSON.stringify(chat.chatId);
    let asked = 0;
    alice.page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        if (String(payload).includes('"getChat"') && String(payload).includes(chat.chatId)) asked++;
      }),
    );
    await alice.page.reload();
    // The reloaded page sets window.chatApp once its script has run: wait for it, not the load event.
    const peerId = await alice.page.evaluate(`(async () => {
      while (!window.chatApp?.client) await new Promise((r) => setTimeout(r, 25));
      const c = window.chatApp.client;
      while (c.state !== 'open' || c.chat(${id})?.members?.length !== 1) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 1_500));
      return c.chat(${id}).peerId ?? null;
    })()`);
    expect(peerId, 'the server names no peer for a chat older than its pair').toBeNull();
    await alice.page.locator(`[data-chat-id=${id}] .row-title`, { hasText: 'Direct chat' }).waitFor();
    expect(asked, 'getChat of the chat (it would name nobody)').toBe(0);
    await alice.context.close();
    await closeAll(stack, peer);
  }, 120_000);
});
