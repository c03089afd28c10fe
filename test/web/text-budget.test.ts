/**
 * The web page past the daily text budget (TEXT_MB_PER_DAY, 1 MB here): the server refuses
 * `sendMessage` and `scheduleMessage` `RATE_LIMITED` until 00:00 UTC, and the client does not wait
 * that out (client/README.md, "Rate limits"). So the page's own failure UI shows at once, with the
 * server's sentence: a message "Not sent: Too much text stored today: …" with its text back in the
 * box, a scheduled one "Not scheduled: …"; neither stays "Sending" until midnight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs, type UserPage } from './browser.ts';

const stack = useTestStack(async () => ({
  env: { TEXT_MB_PER_DAY: '1' },
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;
let alice: UserPage;

/**
 * In the page: the direct chat with Bob, and `action`'s budget spent by requests of 16 KB each
 * (refused once spent; `request` without retries); resolves with the chatId.
 */
const spend = (action: 'sendMessage' | 'scheduleMessage') => `(async () => {
  const c = window.chatApp.client;
  const { chat } = await c.request('createChat', { kind: 'direct', userId: 'bob' });
  const text = '😀'.repeat(4000);
  const sendAt = new Date(Date.now() + 3600000).toISOString();
  for (let i = 0; i < 100; i++) {
    try {
      await c.request(${JSON.stringify(action)}, { chatId: chat.chatId, text, sendAt: ${action === 'scheduleMessage' ? 'sendAt' : 'undefined'} });
    } catch (error) {
      if (error.code === 'RATE_LIMITED') return chat.chatId;
      throw error;
    }
  }
  throw new Error('never refused');
})()`;

describe('the web page past the daily text budget', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
    alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('a message is not sent: the toast says why, and its text is back in the box', async () => {
    const chatId = (await alice.page.evaluate(spend('sendMessage'))) as string;
    await alice.page.evaluate(`window.chatApp.open(${JSON.stringify(chatId)})`);
    await alice.page.fill('#text', 'one more');
    await alice.page.press('#text', 'Enter');
    await alice.page
      .locator('#toast', { hasText: 'Not sent: Too much text stored today: at most 1 MB a day.' })
      .waitFor({ timeout: 10_000 });
    await expect.poll(() => alice.page.inputValue('#text')).toBe('one more');
  });

  it('a scheduled message is not scheduled: the toast says why', async () => {
    await alice.page.evaluate(spend('scheduleMessage'));
    await alice.page.fill('#text', 'see you tomorrow');
    await alice.page.click('#schedule');
    await alice.page.click('#schedule-confirm');
    await alice.page
      .locator('#toast', { hasText: 'Not scheduled: Too much text stored today: at most 1 MB a day.' })
      .waitFor({ timeout: 10_000 });
  });
});
