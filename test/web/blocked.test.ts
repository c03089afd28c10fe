/**
 * The page reads every page of `listBlocked` (web/src/blocked.ts), in a real browser (system
 * Chromium) on a local stack: a user blocked beyond the first page still shows "Unblock".
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK } from '../../lambdas/data/items-people.ts';
import { DEMO_USERS } from '../../local/seed.ts';
import { buildWeb, webRoutes } from '../../local/web.ts';
import { useTestStack } from '../support/stack.ts';
import { type Chromium, launchChromium, openAs } from './browser.ts';

const stack = useTestStack(async () => ({
  httpRoutes: [webRoutes({ assets: await buildWeb({ mode: 'local' }), users: DEMO_USERS })],
}));

let chrome: Chromium;

describe('blocked users on the web page', () => {
  beforeAll(async () => {
    chrome = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
  });

  it('someone blocked past the first pages of listBlocked still shows as blocked', async () => {
    const alice = await openAs(chrome, stack.url.replace(/^ws:/, 'http:'), 'alice');
    const chatId = (await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      const { chat } = await c.request('createChat', { kind: 'direct', userId: 'zed' });
      while (!c.chat(chat.chatId)) await new Promise((r) => setTimeout(r, 25));
      window.chatApp.open(chat.chatId);
      return chat.chatId;
    })()`)) as string;
    await alice.page.locator('#block', { hasText: 'Block' }).click();
    await alice.page.locator('#block', { hasText: 'Unblock' }).waitFor();
    // 120 more blocked users whose ids sort before zed's (written as blockUser stores them, no
    // direct chat to mirror them on): zed is on listBlocked's second page of 100, the third of 50.
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    try {
      const createdAt = new Date().toISOString();
      const items = Array.from({ length: 120 }, (_, i) =>
        BLOCK.toItem({ blockerId: 'alice', blockedId: `aa${String(i).padStart(3, '0')}`, createdAt }),
      );
      for (let i = 0; i < items.length; i += 25) {
        const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        await doc.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: batch } }));
      }
    } finally {
      doc.destroy();
    }
    await alice.page.reload();
    await alice.page.waitForSelector('#connection[data-state="online"]');
    // Once listBlocked has been read after the open (every page of it), the button says so.
    await alice.page.evaluate(`(async () => {
      const c = window.chatApp.client;
      while (!c.chat(${JSON.stringify(chatId)})) await new Promise((r) => setTimeout(r, 25));
      await c.request('ping');
      window.chatApp.open(${JSON.stringify(chatId)});
    })()`);
    await alice.page.locator('#block', { hasText: 'Unblock' }).waitFor({ timeout: 15_000 });
    expect(await alice.page.textContent('#block')).toBe('Unblock');
    await alice.context.close();
  }, 120_000);
});
