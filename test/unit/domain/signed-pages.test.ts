/**
 * Pages of attachment messages (`history`, `sync`, `listChats`) are cut to the frame budget before
 * their URLs are signed: they sign only the URLs they return (one more at most: the first, signed to
 * measure), and stay under the budget, even when a URL is longer than the first one signed.
 */
import { describe, expect, it } from 'vitest';
import type {
  ChatRecord,
  MemberRecord,
  MessageRecord,
  StoredAttachment,
} from '../../../lambdas/data/store.ts';
import { listChats } from '../../../lambdas/domain/chats.ts';
import { getHistory } from '../../../lambdas/domain/history.ts';
import { REPLY_BUDGET_BYTES } from '../../../lambdas/domain/reply-budget.ts';
import { URL_MARGIN_BYTES } from '../../../lambdas/domain/signed-pages.ts';
import { sync } from '../../../lambdas/domain/sync.ts';
import { caller, fakeDeps, groupChat, memberAndChat, NOW, stored } from './fakes.ts';

const ann = caller('ann');
/** About the length of a URL signed with a Lambda function's session token (~1.5 KB). */
const URL_BYTES = 1536;

const attachments = (seq: number): StoredAttachment[] =>
  Array.from({ length: 10 }, (_, i) => ({
    attachmentId: `up_${String(seq).padStart(4, '0')}${'a'.repeat(16)}${i}`,
    kind: 'image',
    contentType: 'image/png',
    size: 48_213,
    fileName: `photo-${i}.png`,
  }));
const messages = (count: number) =>
  Array.from({ length: count }, (_, i) => stored(i + 1, { ver: i + 1, attachments: attachments(i + 1) }));

/** Deps whose bucket signs URLs of `URL_BYTES` (the ones after the first `longer` bytes longer still). */
function signing(longer = 0) {
  const fake = fakeDeps();
  fake.media.downloadUrl.mockImplementation(async (key: string) => {
    const extra = fake.media.downloadUrl.mock.calls.length > 1 ? longer : 0;
    const head = `https://s3/${key}?`;
    return { url: head + 'x'.repeat(URL_BYTES + extra - head.length), expiresAt: NOW };
  });
  return fake;
}
const urlsIn = (answer: unknown) => (JSON.stringify(answer).match(/https:\/\/s3\//g) ?? []).length;
const bytes = (answer: unknown) => Buffer.byteLength(JSON.stringify(answer), 'utf8');

describe('a page of attachment messages', () => {
  it('history signs only the URLs it returns, and fits', async () => {
    const { deps, store, media } = signing();
    store.chats.getMemberAndChat.mockResolvedValue(memberAndChat());
    store.messages.readSlots.mockResolvedValue({
      slots: messages(100).map((message) => ({ kind: 'message', message })),
      exhausted: true,
    });
    const page = await getHistory(deps, ann, { chatId: 'g1', limit: 100 });
    expect(page.hasMore).toBe(true);
    expect(page.messages.length).toBeGreaterThan(3);
    expect(page.messages.at(-1)?.seq).toBe(100); // the newest are kept
    expect(page.messages.every((m) => m.attachments.length === 10)).toBe(true);
    expect(media.downloadUrl.mock.calls.length).toBeLessThanOrEqual(urlsIn(page) + 1);
    expect(bytes(page)).toBeLessThan(REPLY_BUDGET_BYTES);
  });

  it('sync signs only the URLs it returns, and fits', async () => {
    const { deps, store, media } = signing();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], { lastVer: 100 }));
    store.messages.changesSince.mockResolvedValue({ messages: messages(100), hasMore: false });
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 0, limit: 100 });
    expect(answer.hasMore).toBe(true);
    expect(answer.messages.length).toBeGreaterThan(3);
    expect(media.downloadUrl.mock.calls.length).toBeLessThanOrEqual(urlsIn(answer) + 1);
    expect(bytes(answer)).toBeLessThan(REPLY_BUDGET_BYTES);
  });

  it('listChats signs only the URLs of the last messages it returns, and fits', async () => {
    const { deps, store, media } = signing();
    const chats = new Map<string, ChatRecord>();
    const members = new Map<string, MemberRecord>();
    const last = new Map<string, MessageRecord>();
    for (let i = 0; i < 40; i++) {
      const chatId = `c${String(i).padStart(2, '0')}`;
      const head = groupChat('ann', ['ann'], { chatId, lastSeq: 1 });
      chats.set(chatId, { ...head.chat, lastActivityAt: `2026-01-01T00:00:${String(59 - i)}.000Z` });
      members.set(chatId, { ...(head.members[0] as MemberRecord), chatId });
      last.set(chatId, stored(1, { chatId, attachments: attachments(i) }));
    }
    store.chats.listMemberships.mockResolvedValue(
      [...chats.keys()].map((chatId) => ({ chatId, userId: 'ann', kind: 'group' as const })),
    );
    store.chats.getMembershipsAndChats.mockResolvedValue({ chats, members });
    store.messages.getLastMessages.mockResolvedValue(last);
    const page = await listChats(deps, ann, { limit: 50 });
    expect(page.nextCursor).not.toBeNull();
    expect(page.chats.length).toBeLessThan(40);
    expect(media.downloadUrl.mock.calls.length).toBeLessThanOrEqual(urlsIn(page) + 1);
    expect(bytes(page)).toBeLessThan(REPLY_BUDGET_BYTES);
  });

  it('stays under the budget when URLs come out longer than estimated (cut again)', async () => {
    const { deps, store } = signing(URL_MARGIN_BYTES + 400);
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], { lastVer: 100 }));
    store.messages.changesSince.mockResolvedValue({ messages: messages(100), hasMore: false });
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 0, limit: 100 });
    expect(answer.hasMore).toBe(true);
    expect(answer.lastVer).toBe(answer.messages.at(-1)?.ver);
    expect(bytes(answer)).toBeLessThan(REPLY_BUDGET_BYTES);
  });
});
