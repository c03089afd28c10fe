/**
 * Where a message's actions (Reply, Edit, Delete, 👍) show, measured in the system Chromium: shown
 * on hover, on keyboard focus and (touch screens) always, they never cover any part of the message's
 * bubble or its text, one line or many, theirs or one's own, and the first and the last message's
 * actions lie inside the scroll container's visible box. Showing them moves nothing (the space is
 * reserved), so a list at its bottom stays there.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, seedDemoData } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { TestClient } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs, openChat, type UserPage } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

const FIRST = 'Hi Bob! Are you coming to the demo?';
const THEIRS_LONG = `Bob's long one: ${'a fairly long sentence that wraps '.repeat(12)}end.`;
const MINE_LINES = "Alice's lines:\nsecond line\nthird line";
const LAST = 'the last one';

let chrome: Chromium;
let directId: string;
let baseUrl: string;

interface Box {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

interface Layout {
  actions: Box;
  bubble: Box;
  text: Box;
  /** The scroll container's visible box (without its scrollbar). */
  view: Box;
  opacity: string;
  /** Each action button is the topmost element at its own centre (nothing covers it). */
  reachable: boolean;
}

function message(page: Page, text: string): Locator {
  return page.locator('#message-list li.msg', { hasText: text.split('\n')[0] }).last();
}

/** The boxes of a message's actions, bubble and text, and of the scroller, as laid out now. */
function layout(item: Locator): Promise<Layout> {
  return item.evaluate((li) => {
    const box = (el: { getBoundingClientRect(): Box } | null): Box => {
      if (!el) throw new Error('a part of the message is missing');
      const r = el.getBoundingClientRect();
      return { top: r.top, left: r.left, bottom: r.bottom, right: r.right };
    };
    const actions = li.querySelector('.actions');
    const scroller = li.closest('#messages');
    if (!actions || !scroller) throw new Error('no actions or no scroller');
    const s = scroller.getBoundingClientRect();
    const buttons = [...actions.querySelectorAll('button')];
    const doc = li.ownerDocument;
    return {
      actions: box(actions),
      bubble: box(li.querySelector('.bubble')),
      text: box(li.querySelector('.text')),
      view: {
        top: s.top + scroller.clientTop,
        left: s.left + scroller.clientLeft,
        bottom: s.top + scroller.clientTop + scroller.clientHeight,
        right: s.left + scroller.clientLeft + scroller.clientWidth,
      },
      opacity: doc.defaultView?.getComputedStyle(actions).opacity ?? '',
      reachable:
        buttons.length > 0 &&
        buttons.every((b) => {
          const r = b.getBoundingClientRect();
          return doc.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2) === b;
        }),
    };
  });
}

function intersects(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function inside(a: Box, outer: Box): boolean {
  return a.top >= outer.top && a.left >= outer.left && a.bottom <= outer.bottom && a.right <= outer.right;
}

/** Shown, clear of the bubble and its text, within the scroller's visible box, not covered. */
function expectClear(l: Layout, what: string): void {
  expect(l.opacity, `${what}: actions shown`).toBe('1');
  expect(intersects(l.actions, l.text), `${what}: actions over the text`).toBe(false);
  expect(intersects(l.actions, l.bubble), `${what}: actions over the bubble`).toBe(false);
  expect(inside(l.actions, l.view), `${what}: actions clipped by the scroller`).toBe(true);
  expect(l.reachable, `${what}: every action button is on top`).toBe(true);
}

/** Scrolls `text`'s message into view (the first to the top, the last to the bottom), hovers its text. */
async function hoverMessage(u: UserPage, text: string, where: 'top' | 'bottom' | 'center'): Promise<Locator> {
  const item = message(u.page, text);
  await u.page.mouse.move(0, 0);
  await item.evaluate((li, at) => {
    const scroller = li.closest('#messages');
    if (!scroller) throw new Error('no scroller');
    if (at === 'top') scroller.scrollTop = 0;
    else if (at === 'bottom') scroller.scrollTop = scroller.scrollHeight;
    else li.scrollIntoView({ block: 'center' });
  }, where);
  const before = await layout(item);
  const scrollHeight = await u.page.$eval('#messages', (s) => s.scrollHeight);
  await item.locator('.text').hover();
  const after = await layout(item);
  // Showing the actions moved nothing.
  expect(after.bubble).toEqual(before.bubble);
  expect(await u.page.$eval('#messages', (s) => s.scrollHeight)).toBe(scrollHeight);
  return item;
}

describe("a message's actions never cover it", () => {
  beforeAll(async () => {
    const seed = await seedDemoData();
    directId = seed.chats.find((c) => c.name.includes('direct'))?.chatId ?? '';
    if (!directId) throw new Error('no direct chat in the demo data');
    baseUrl = stack.url.replace(/^ws:/, 'http:');
    chrome = await launchChromium();
    const bob = await TestClient.connect(await stack.urlFor('bob'));
    const alice = await TestClient.connect(await stack.urlFor('alice'));
    try {
      await bob.ok('sendMessage', { chatId: directId, text: THEIRS_LONG });
      await alice.ok('sendMessage', { chatId: directId, text: MINE_LINES });
      for (let i = 1; i <= 12; i++) {
        await (i % 2 ? bob : alice).ok('sendMessage', { chatId: directId, text: `filler ${i}` });
      }
      await bob.ok('sendMessage', { chatId: directId, text: LAST });
    } finally {
      await bob.close();
      await alice.close();
    }
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  async function open(viewport?: { width: number; height: number }, hasTouch = false): Promise<UserPage> {
    const u = await openAs(chrome, baseUrl, 'alice', viewport, hasTouch);
    await openChat(u.page, directId, LAST, u.errors);
    // Everything is on screen (the window holds the newest 30): the first message is the seed's.
    expect(await u.page.locator('#message-list li.msg').first().textContent()).toContain(FIRST);
    return u;
  }

  for (const [name, viewport] of [
    ['desktop', { width: 1000, height: 700 }],
    ['narrow window', { width: 390, height: 700 }],
  ] as const) {
    it(`on hover, ${name}: first, one-line, multi-line, theirs, mine and last`, async () => {
      const u = await open(viewport);
      try {
        const cases = [
          [FIRST, 'top'],
          ['Yes, see you there.', 'center'],
          [THEIRS_LONG, 'center'],
          [MINE_LINES, 'center'],
          [LAST, 'bottom'],
        ] as const;
        for (const [i, [text, where]] of cases.entries()) {
          const item = await hoverMessage(u, text, where);
          expectClear(await layout(item), `${name}, "${text.slice(0, 20)}"`);
          await u.shot(`actions-${name.replace(' ', '-')}-${i + 1}`);
        }
        expect(u.errors).toEqual([]);
      } finally {
        await u.context.close();
      }
    });
  }

  it('on keyboard focus, with the mouse elsewhere', async () => {
    const u = await open();
    try {
      await u.page.mouse.move(0, 0);
      for (const [text, where] of [
        [FIRST, 'top'],
        [LAST, 'bottom'],
      ] as const) {
        const item = await hoverMessage(u, text, where);
        await u.page.mouse.move(0, 0);
        await item.getByRole('button', { name: 'Reply', exact: true }).focus();
        expectClear(await layout(item), `focused "${text}"`);
      }
    } finally {
      await u.context.close();
    }
  });

  it('on a touch screen: always shown, below the bubble, usable by a tap', async () => {
    const u = await open({ width: 390, height: 760 }, true);
    try {
      expect(await u.page.evaluate("matchMedia('(hover: none)').matches")).toBe(true);
      for (const [text, where] of [
        [FIRST, 'top'],
        [THEIRS_LONG, 'center'],
        [LAST, 'bottom'],
      ] as const) {
        const item = message(u.page, text);
        await item.evaluate((li, at) => {
          const scroller = li.closest('#messages');
          if (!scroller) throw new Error('no scroller');
          if (at === 'top') scroller.scrollTop = 0;
          else if (at === 'bottom') scroller.scrollTop = scroller.scrollHeight;
          else li.scrollIntoView({ block: 'center' });
        }, where);
        const l = await layout(item);
        expectClear(l, `touch "${text.slice(0, 20)}"`);
        expect(l.actions.top).toBeGreaterThanOrEqual(l.bubble.bottom);
      }
      await message(u.page, LAST).getByRole('button', { name: 'Reply', exact: true }).tap();
      await u.page.locator('#context-text', { hasText: LAST }).waitFor();
      await u.shot('actions-touch');
      expect(u.errors).toEqual([]);
    } finally {
      await u.context.close();
    }
  });
});
