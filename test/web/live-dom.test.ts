/**
 * The page renders incrementally (system Chromium, headless): one element per message and per chat
 * row, kept across events, so a hovered message stays hovered, an untouched message keeps its node
 * (and a text selection in it), and the list follows new messages only when it was at the bottom.
 * Alice is on the page; Bob writes, edits, reacts and reads over a socket of his own.
 */
import type { ElementHandle, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, seedDemoData } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs, openChat, type UserPage } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let alice: UserPage;
let bob: TestClient;
let directId: string;
let generalId: string;

function message(page: Page, text: string): Locator {
  return page.locator('#message-list li.msg', { hasText: text }).last();
}

async function idOf(text: string): Promise<string> {
  const id = await message(alice.page, text).getAttribute('data-message-id');
  if (!id) throw new Error(`no message "${text}" on Alice's screen`);
  return id;
}

async function say(text: string): Promise<string> {
  const ack = await bob.ok('sendMessage', { chatId: directId, text });
  await message(alice.page, text).waitFor();
  return (ack.message as { messageId: string }).messageId;
}

/** Two animation frames: any render the last events scheduled has run. */
function frames(page: Page): Promise<unknown> {
  return page.evaluate(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
  );
}

function same(a: ElementHandle, b: ElementHandle): Promise<boolean> {
  return a.evaluate((x, y) => x === y, b);
}

/** How far the message list is from its bottom, in pixels. */
function fromBottom(page: Page): Promise<number> {
  return page.$eval('#messages', (s) => s.scrollHeight - s.scrollTop - s.clientHeight);
}

describe('incremental rendering in Chromium', () => {
  beforeAll(async () => {
    const seed = await seedDemoData();
    const find = (part: string) => seed.chats.find((c) => c.name.includes(part))?.chatId;
    directId = find('direct') ?? '';
    generalId = find('General') ?? '';
    if (!directId || !generalId) throw new Error('no direct chat or General in the demo data');
    chrome = await launchChromium();
    alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    bob = await TestClient.connect(await stack.urlFor('bob'));
    await openChat(alice.page, directId, 'Yes, see you there.', alice.errors);
  }, 120_000);

  afterAll(async () => {
    await bob?.close();
    await chrome?.close();
  });

  it('a hovered message stays the same hovered element while messages, reactions and reads arrive', async () => {
    const hovered = message(alice.page, 'Hi Bob! Are you coming');
    await hovered.hover();
    const before = await hovered.elementHandle();
    if (!before) throw new Error('no hovered message');
    const other = await idOf('Yes, see you there.');
    await say('one');
    await bob.ok('react', { chatId: directId, messageId: other, emoji: '🎉' });
    await message(alice.page, 'Yes, see you there.').locator('.reaction', { hasText: '🎉' }).waitFor();
    const last = await say('two');
    await bob.ok('readMessage', { chatId: directId, messageId: last });
    await hovered.locator('[data-ticks="Read"]').waitFor();
    await frames(alice.page);

    const after = await hovered.elementHandle();
    if (!after) throw new Error('the hovered message is gone');
    expect(await same(before, after)).toBe(true);
    expect(await after.evaluate((el) => el.matches(':hover'))).toBe(true);
    await alice.shot('live-hovered');
    // Its actions show without moving the mouse again.
    await hovered.getByRole('button', { name: 'Edit', exact: true }).click({ timeout: 3_000 });
    await alice.page.press('#text', 'Escape');
  });

  it('an edit patches its own message: the others keep their nodes, and a selection in them', async () => {
    const edited = await say('to be edited');
    await frames(alice.page);
    await alice.page.$$eval('#message-list li.msg', (items) => {
      for (const li of items) (li as HTMLElement & { mark?: string }).mark = 'kept';
    });
    const rows = await alice.page.$$eval('.chat-row', (buttons) => {
      for (const b of buttons) (b as HTMLElement & { mark?: string }).mark = 'kept';
      return buttons.length;
    });
    // Alice selects the text of an older message.
    await message(alice.page, 'Yes, see you there.')
      .locator('.text')
      .evaluate((p) => p.ownerDocument.getSelection()?.selectAllChildren(p));

    await bob.ok('editMessage', { chatId: directId, messageId: edited, text: 'edited once' });
    await message(alice.page, 'edited once').waitFor();
    await frames(alice.page);

    const marks = await alice.page.$$eval('#message-list li.msg', (items) =>
      items.map((li) => (li as HTMLElement & { mark?: string }).mark ?? 'new'),
    );
    expect(marks.length).toBeGreaterThan(3);
    expect(new Set(marks)).toEqual(new Set(['kept']));
    expect(await alice.page.evaluate('getSelection().toString()')).toBe('Yes, see you there.');
    // The chat list patched the direct chat's row in place; the other rows were not touched.
    const rowMarks = await alice.page.$$eval('.chat-row', (buttons) =>
      buttons.map((b) => (b as HTMLElement & { mark?: string }).mark ?? 'new'),
    );
    expect(rowMarks).toEqual(Array.from({ length: rows }, () => 'kept'));
    await alice.page
      .locator(`.chat-row[data-chat-id="${directId}"] .preview`, { hasText: 'edited once' })
      .waitFor();
  });

  it('follows new messages at the bottom, and leaves a user who scrolled up where they are', async () => {
    // The mouse rests over the list (as a reader's does): messages pass under it, hovered in turn.
    await alice.page.hover('#messages');
    for (let i = 1; i <= 12; i++) await say(`filler ${i}`);
    await frames(alice.page);
    expect(await fromBottom(alice.page)).toBeLessThanOrEqual(2);
    await say('at the bottom');
    await frames(alice.page);
    expect(await fromBottom(alice.page)).toBeLessThanOrEqual(2);

    // Alice scrolls up until the newest message is just out of view.
    const up = await message(alice.page, 'at the bottom').evaluate((li) => li.offsetHeight + 8);
    const top = await alice.page.$eval(
      '#messages',
      (s, dy) => {
        s.scrollTop -= dy;
        return s.scrollTop;
      },
      up,
    );
    await frames(alice.page);
    await say('while scrolled up');
    await frames(alice.page);
    expect(await alice.page.$eval('#messages', (s) => s.scrollTop)).toBe(top);

    // Back at the bottom, the list follows again.
    await alice.page.$eval('#messages', (s) => {
      s.scrollTop = s.scrollHeight;
    });
    await frames(alice.page);
    await say('followed');
    await frames(alice.page);
    expect(await fromBottom(alice.page)).toBeLessThanOrEqual(2);
  });

  it('a chat whose new message moves it to the top moves as its one row; no row is rebuilt', async () => {
    const order = () =>
      alice.page.$$eval('.chat-row', (rows) => rows.map((r) => r.getAttribute('data-chat-id')));
    const before = await order();
    expect(before[0]).toBe(directId);
    expect(before).toContain(generalId);
    await alice.page.$$eval('.chat-row', (buttons) => {
      for (const b of buttons) (b as HTMLElement & { mark?: string }).mark = 'kept';
    });
    // Records the list's own child changes: a moved row is one removal and one insertion of it.
    await alice.page.evaluate(`{
      window.rowMoves = [];
      const id = (n) => n.querySelector('button')?.dataset.chatId;
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of r.removedNodes) window.rowMoves.push('-' + id(n));
          for (const n of r.addedNodes) window.rowMoves.push('+' + id(n));
        }
      }).observe(document.getElementById('chat-list'), { childList: true });
    }`);

    await bob.ok('sendMessage', { chatId: generalId, text: 'General news' });
    await alice.page
      .locator(`.chat-row[data-chat-id="${generalId}"] .preview`, { hasText: 'General news' })
      .waitFor();
    await frames(alice.page);

    expect(await order()).toEqual([generalId, ...before.filter((id) => id !== generalId)]);
    const marks = await alice.page.$$eval('.chat-row', (rows) =>
      rows.map((r) => (r as HTMLElement & { mark?: string }).mark ?? 'new'),
    );
    expect(marks).toEqual(before.map(() => 'kept'));
    expect(await alice.page.evaluate('window.rowMoves')).toEqual([`-${generalId}`, `+${generalId}`]);
  });

  it('logged no console errors', () => {
    expect(alice.errors).toEqual([]);
  });
});
