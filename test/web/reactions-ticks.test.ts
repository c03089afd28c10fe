/**
 * What the page claims about big lists it sees only part of, in a real browser (system Chromium) on
 * a local stack: a reaction's `userIds` names the newest 20 reactors only, so the page remembers the
 * user's own reactions (from `message.reacted` and its `react` acks) and, where it knows nothing,
 * does not claim "not yours"; a group's member list names 200 members only, so the ticks claim read
 * or delivered only when every member is listed (`memberCount`), also once the listed members'
 * cursors are known (from a `getChat` answer: the client does not re-read such a group after a
 * reconnect).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { BIG_GROUP_TIMEOUTS, useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  timeoutSeconds: BIG_GROUP_TIMEOUTS,
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let baseUrl: string;

/** Creates a group of alice and `others` with one message of hers, and opens it. */
async function groupWithMessage(page: Page, others: string[], text: string) {
  return (await page.evaluate(`(async () => {
    const c = window.chatApp.client;
    const { chat } = await c.request('createChat', { kind: 'group', name: 'Many', memberIds: ${JSON.stringify(others)} }, { timeoutMs: 60000 });
    const m = await c.sendMessage(chat.chatId, ${JSON.stringify(text)});
    while (!c.chat(chat.chatId)) await new Promise((r) => setTimeout(r, 25));
    window.chatApp.open(chat.chatId);
    return { chatId: chat.chatId, messageId: m.messageId, seq: m.seq };
  })()`)) as { chatId: string; messageId: string; seq: number };
}

/** Each of `users` does `action` with `fields` over a socket of their own, 10 at a time. */
async function each(users: string[], action: string, fields: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < users.length; i += 10) {
    await Promise.all(
      users.slice(i, i + 10).map(async (u) => {
        const s = await TestClient.connect(await stack.urlFor(u));
        // Ten reactions to one message at once may meet "busy; please retry" (CONFLICT): retry, as
        // the contract says a client does.
        for (let attempt = 1; ; attempt++) {
          const reply = await s.request(action, fields);
          if (reply.type === 'ack') break;
          if (reply.code !== 'CONFLICT' || attempt >= 5)
            throw new Error(`${action} failed: ${JSON.stringify(reply)}`);
        }
        await s.close();
      }),
    );
  }
}

async function serverCount(chatId: string, messageId: string): Promise<number | undefined> {
  const probe = await TestClient.connect(await stack.urlFor('rx0'));
  const h = await probe.ok('history', { chatId });
  await probe.close();
  const m = (h.messages as { messageId: string; reactions: { count: number }[] }[]).find(
    (x) => x.messageId === messageId,
  );
  return m?.reactions[0]?.count;
}

describe('the web page with more reactors and members than it is told about', () => {
  beforeAll(async () => {
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('a reaction of yours older than the 20 newest reactors can be taken back, known or not', async () => {
    const alice = await openAs(chrome, baseUrl, 'alice');
    const others = Array.from({ length: 20 }, (_, i) => `rx${i}`);
    const { chatId, messageId } = await groupWithMessage(alice.page, others, 'react to me');
    await alice.page.evaluate(
      `window.chatApp.client.react(${JSON.stringify(chatId)}, ${JSON.stringify(messageId)}, '👍')`,
    );
    await each(others, 'react', { chatId, messageId, emoji: '👍' });
    const chip = alice.page.locator(`li[data-message-id="${messageId}"] button.reaction`);
    const chipWith = (count: string, pressed: string) =>
      alice.page
        .locator(`li[data-message-id="${messageId}"] button.reaction[aria-pressed="${pressed}"]`, {
          hasText: count,
        })
        .waitFor();
    // The page saw its own message.reacted: yours, though the list no longer names you.
    await chipWith('21', 'true');
    // After a reload the page knows nothing: not claimed either way; a click takes it back.
    await alice.page.reload();
    await alice.page.waitForSelector('#connection[data-state="online"]');
    await alice.page.evaluate(`window.chatApp.open(${JSON.stringify(chatId)})`);
    await chipWith('21', 'mixed');
    await chip.click();
    await chipWith('20', 'false');
    expect(await serverCount(chatId, messageId)).toBe(20);
    // Now known not to be yours: a click adds it.
    await chip.click();
    await chipWith('21', 'true');
    expect(await serverCount(chatId, messageId)).toBe(21);
    expect(alice.errors).toEqual([]);
    await alice.context.close();
  }, 180_000);

  it('in a group of more than 200, no read ticks while members not listed have not read', async () => {
    const alice = await openAs(chrome, baseUrl, 'alice');
    const others = Array.from({ length: 201 }, (_, i) => `gm${String(i).padStart(3, '0')}`);
    const { chatId, messageId, seq } = await groupWithMessage(alice.page, others, 'did everyone read this?');
    const held = (await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      while (!c.chat(${JSON.stringify(chatId)})?.members) await new Promise((r) => setTimeout(r, 25));
      const chat = c.chat(${JSON.stringify(chatId)});
      return { count: chat.memberCount, listed: chat.members.map((m) => m.userId) };
    })()`)) as { count: number; listed: string[] };
    expect(held.count).toBe(202);
    const listed = held.listed.filter((u) => u !== 'alice');
    expect(listed.length).toBeLessThan(201);
    await each(listed, 'readMessage', { chatId, messageId });
    // A group this big sends no receipts of others (docs/protocol.md, "Receipts in big groups"), and
    // the client does not re-read it with getChat after a reconnect (its ticks cannot claim read):
    // once caught up, the page still holds the listed members' cursors of before.
    const seen = (await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      c.suspend();
      c.reconnectNow();
      await c.settled();
      return c.chat(${JSON.stringify(chatId)}).members.filter((m) => m.userId !== 'alice' && m.lastReadSeq >= ${seq}).length;
    })()`)) as number;
    expect(seen).toBe(0);
    // Asked for with getChat (an app that shows members' reads, say), whose answer the client takes:
    // every listed member's read cursor reaches the page, and a frame has rendered since; the tick
    // still cannot claim read (the members not listed are not known to have it).
    const tick = (await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      await c.request('getChat', { chatId: ${JSON.stringify(chatId)} });
      window.chatApp.render();
      const done = () => c.chat(${JSON.stringify(chatId)}).members.every((m) => m.userId === 'alice' || m.lastReadSeq >= ${seq});
      while (!done()) await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
      return document.querySelector('li[data-message-id="${messageId}"] [data-ticks]').dataset.ticks;
    })()`)) as string;
    expect(tick).toBe('Sent');
    await alice.context.close();
  }, 300_000);
});
