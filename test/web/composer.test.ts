/**
 * The composer in Chromium on a local stack: a message or an attachment that cannot be sent gives
 * its text back to the box (with a toast saying why) instead of losing it, unless something else was
 * typed meanwhile. The refusals come from a chat that does not exist (refused for good), and from
 * an upload offline (requestUpload's timeout: the page is built with a 5 s request timeout, not the
 * client's 15 s, and the test checks the upload is still waiting once the other text is typed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs, type UserPage } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [
    webRoutes({
      assets: await buildWeb({ mode: 'local', timing: { requestTimeoutMs: 5000 } }),
      users: DEMO_USERS,
    }),
  ],
}));

let chrome: Chromium;
let alice: UserPage;

describe('the composer when sending fails', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
    alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    // A chat that is not there (or no longer Alice's): every send to it is refused for good.
    await alice.page.evaluate('window.chatApp.open("c_not_a_chat_of_alice")');
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('a refused message: its text is back in the box', async () => {
    await alice.page.fill('#text', 'a message that is refused');
    await alice.page.press('#text', 'Enter');
    await alice.page.locator('#toast', { hasText: 'Not sent' }).waitFor();
    await expect.poll(() => alice.page.inputValue('#text')).toBe('a message that is refused');
  });

  it('a refused attachment: its caption is back in the box, and what was typed meanwhile is kept', async () => {
    const file = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') };
    await alice.page.fill('#text', 'a caption');
    await alice.page.setInputFiles('#file', file);
    await alice.page.locator('#toast', { hasText: 'Could not send notes.txt' }).waitFor();
    await expect.poll(() => alice.page.inputValue('#text')).toBe('a caption');

    // Offline, requestUpload waits for its timeout: time to type something else meanwhile.
    await alice.context.setOffline(true);
    await alice.page.setInputFiles('#file', { ...file, name: 'later.txt' });
    await alice.page.fill('#text', 'typed meanwhile');
    // Typed while the upload waits (before its timeout gives the caption back).
    expect(await alice.page.textContent('#toast')).toBe('Uploading later.txt…');
    await alice.page.locator('#toast', { hasText: 'Could not send later.txt' }).waitFor({ timeout: 40_000 });
    expect(await alice.page.inputValue('#text')).toBe('typed meanwhile');
    await alice.context.setOffline(false);
  });
});
