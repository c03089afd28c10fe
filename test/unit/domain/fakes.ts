/**
 * Domain dependencies made of mocks: every repository method and the fan-out are `vi.fn()`s with
 * harmless defaults that a test overrides (the chat-head cache is the real, in-memory one). The
 * domain decides; these record what it asked for. Time is a fake clock that only moves when a test
 * (or a mocked sleep, see `clock.sleep`) moves it.
 */
import { type Mocked, vi } from 'vitest';
import type { MemberAndChat } from '../../../lambdas/data/chat-lists.ts';
import { ChatHeadCache } from '../../../lambdas/data/head-cache.ts';
import type { MediaBucket } from '../../../lambdas/data/media-bucket.ts';
import type {
  ChatRecord,
  ChatStore,
  MemberRecord,
  MessageRecord,
  UploadRecord,
} from '../../../lambdas/data/store.ts';
import type { Deps } from '../../../lambdas/domain/deps.ts';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import type { FanOut } from '../../../lambdas/fanout/fanout.ts';

export const NOW = '2026-03-01T12:00:00.000Z';

/** The first bytes of a PNG (its signature and the IHDR length), as a stored upload's sniffed head. */
export const PNG_HEAD = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

/** ann's pending 100-byte PNG upload `id` in chat g1, made at NOW. */
export const pendingUpload = (id: string, overrides: Partial<UploadRecord> = {}): UploadRecord => ({
  chatId: 'g1',
  uploadId: id,
  userId: 'ann',
  kind: 'image',
  contentType: 'image/png',
  size: 100,
  fileName: null,
  createdAt: NOW,
  status: 'pending',
  usedBy: null,
  ...overrides,
});
const report = { delivered: 0, gone: 0, connecting: 0, failed: 0, retried: 0, queued: 0 };

/** The fake clock of every fake deps (one per test file, reset by `fakeDeps`). */
export const clock = {
  ms: Date.parse(NOW),
  advance(ms: number): void {
    clock.ms += ms;
  },
  /** A stand-in for `node:timers/promises`' setTimeout: time passes at once. */
  async sleep(ms: number): Promise<void> {
    clock.ms += Math.ceil(ms);
  },
};

type Repositories = Omit<ChatStore, 'heads'>;
type FakeStore = { [R in keyof Repositories]: Mocked<Pick<Repositories[R], keyof Repositories[R]>> } & {
  heads: ChatHeadCache;
};

export function fakeDeps() {
  clock.ms = Date.parse(NOW);
  const store: FakeStore = {
    connections: {
      put: vi.fn(),
      delete: vi.fn(async () => true),
      deleteIfSettled: vi.fn(async () => 'removed' as const),
      listIds: vi.fn(async () => []),
      list: vi.fn(async () => []),
    },
    profiles: {
      touch: vi.fn(),
      setName: vi.fn(),
      setLastSeen: vi.fn(),
      getMany: vi.fn(async () => new Map()),
    },
    chats: {
      getWithMembers: vi.fn(async () => ({ chat: undefined, members: [] })),
      // What the head read is set to find (its implementation called directly: no call recorded).
      getMemberAndChat: vi.fn(async (chatId: string, userId: string): Promise<MemberAndChat> => {
        const head = await store.chats.getWithMembers.getMockImplementation()?.(chatId, { consistent: true });
        return { member: head?.members.find((m) => m.userId === userId), chat: head?.chat };
      }),
      isMember: vi.fn(async () => false),
      // No member log to replay (the domain then reads the members): tests of the log use the table.
      membersAt: vi.fn(async () => undefined),
      getChat: vi.fn(async () => (await store.chats.getWithMembers('')).chat),
      listMemberships: vi.fn(async () => []),
      countMemberships: vi.fn(async () => 0),
      getMembershipsAndChats: vi.fn(async () => ({ members: new Map(), chats: new Map() })),
      // listChats' two reads answer from the mock above, which unit tests set.
      getChats: vi.fn(async () => (await store.chats.getMembershipsAndChats([])).chats),
      getMemberships: vi.fn(async () => (await store.chats.getMembershipsAndChats([])).members),
      getDirectChatId: vi.fn(async () => undefined),
      create: vi.fn(async () => ({ status: 'created' }) as const),
      addMembers: vi.fn(async () => 'changed' as const),
      removeMember: vi.fn(async () => 'changed' as const),
      markDeleted: vi.fn(async () => true),
      // The members it found: those of the (re-)read the domain's own read gives.
      deleteMembersButOwner: vi.fn(
        async (chat: ChatRecord) => (await store.chats.getWithMembers(chat.chatId)).members,
      ),
      deleteHead: vi.fn(async () => 'deleted' as const),
    },
    messages: {
      put: vi.fn(async () => ({ status: 'stored' }) as const),
      get: vi.fn(async () => undefined),
      getSlot: vi.fn(async () => undefined),
      findByClientId: vi.fn(async () => undefined),
      readSlots: vi.fn(async () => ({ slots: [], exhausted: true })),
      getLastMessages: vi.fn(async () => new Map()),
      changesSince: vi.fn(async () => ({ messages: [], hasMore: false })),
      newestChanges: vi.fn(async () => ({ messages: [], hasMore: false })),
      applyChange: vi.fn(async () => ({ status: 'refused', current: undefined }) as const),
    },
    rosters: {
      list: vi.fn(async () => []),
      listMember: vi.fn(async () => []),
      add: vi.fn(),
      remove: vi.fn(),
      removeIfSettled: vi.fn(async () => 'removed' as const),
      clear: vi.fn(),
      markJoined: vi.fn(),
      recentJoins: vi.fn(async () => []),
    },
    cursors: {
      advance: vi.fn(
        async (_c: string, _u: string, seq: number) => ({ status: 'moved', lastReadSeq: seq }) as const,
      ),
      markDelivered: vi.fn(
        async (_c: string, _u: string, seq: number) => ({ status: 'moved', lastDeliveredSeq: seq }) as const,
      ),
      // The stored cursor, by default as the membership the test's chat gives.
      lastReadSeq: vi.fn(
        async (chatId: string, userId: string) =>
          (await store.chats.getWithMembers(chatId)).members.find((m) => m.userId === userId)?.lastReadSeq,
      ),
    },
    sequence: {
      allocate: vi.fn(async () => ({ status: 'allocated', seq: 5, ver: 9 }) as const),
      allocateVersion: vi.fn(async () => ({ status: 'allocated', ver: 9 }) as const),
      fillVoid: vi.fn(async () => ({ status: 'voided' }) as const),
      raiseMinSyncVer: vi.fn(),
    },
    claims: {
      claim: vi.fn(async () => ({ status: 'claimed' }) as const),
      get: vi.fn(async () => undefined),
      takeOver: vi.fn(async () => true),
      release: vi.fn(),
    },
    groupKeys: {
      get: vi.fn(async () => undefined),
      create: vi.fn(async () => ({ status: 'created' }) as const),
      takeOver: vi.fn(async () => true),
      complete: vi.fn(async () => ({ status: 'created' }) as const),
    },
    scheduled: {
      create: vi.fn(async () => ({ status: 'created' }) as const),
      get: vi.fn(async () => undefined),
      listPending: vi.fn(async () => []),
      cancel: vi.fn(async () => 'finished' as const),
      failPending: vi.fn(async () => 'finished' as const),
      claim: vi.fn(async () => undefined),
      complete: vi.fn(async () => 'finished' as const),
    },
    due: {
      listDue: vi.fn(async () => []),
      postpone: vi.fn(async () => true),
      getSweepCursor: vi.fn(async () => undefined),
      moveSweepCursor: vi.fn(async () => true),
    },
    heads: new ChatHeadCache(),
    devices: {
      getState: vi.fn(async () => ({ devices: [], count: 0 })),
      get: vi.fn(async () => undefined),
      getTokenOwner: vi.fn(async () => undefined),
      register: vi.fn(async () => 'registered' as const),
      refresh: vi.fn(async () => 'refreshed' as const),
      reconcileCount: vi.fn(async () => 'reconciled' as const),
      remove: vi.fn(async () => 'removed' as const),
      pushTargets: vi.fn(async () => ({ online: false, devices: [] })),
    },
    mutes: { set: vi.fn(async () => 'set' as const) },
    pushMarks: { has: vi.fn(async () => false), put: vi.fn() },
    uploads: {
      create: vi.fn(),
      getMany: vi.fn(async () => new Map()),
      claim: vi.fn(async () => 'claimed' as const),
      release: vi.fn(async () => 0),
    },
    blocks: {
      block: vi.fn(async () => 'blocked' as const),
      unblock: vi.fn(async () => 'unblocked' as const),
      isBlocked: vi.fn(async () => false),
      pairBlocks: vi.fn(async (a: string, b: string) => ({ a, b, aBlocksB: false, bBlocksA: false })),
      mirror: vi.fn(async () => true),
      blockersAmong: vi.fn(async () => new Set<string>()),
      listPage: vi.fn(async () => ({ userIds: [], next: undefined })),
      listAll: vi.fn(async () => []),
    },
    reactions: {
      has: vi.fn(async () => false),
      apply: vi.fn(async () => ({ status: 'raced' }) as const),
    },
    audit: { record: vi.fn(), listBetween: vi.fn(async () => []) },
    reports: {
      file: vi.fn(async () => ({ status: 'filed', reportId: 'r1' }) as const),
      list: vi.fn(async () => ({ reports: [], after: undefined })),
    },
    limits: {
      lease: vi.fn(async (_userId: string, _action: string, req: { nowMs: number }) => ({
        kind: 'leased' as const,
        granted: 1,
        windowStart: req.nowMs,
        count: 1,
      })),
      exhaust: vi.fn(async () => undefined),
    },
    retention: {
      expireChat: vi.fn(async () => 0),
      expirePage: vi.fn(async () => ({ count: 0, failed: 0, next: undefined })),
    },
    socketCount: {
      claim: vi.fn(async () => ({ claimed: true }) as const),
      release: vi.fn(async () => undefined),
      repair: vi.fn(async () => true),
    },
  };
  const media: Mocked<Pick<MediaBucket, keyof MediaBucket>> = {
    uploadUrl: vi.fn(async (key: string) => ({ url: `https://s3/${key}?put`, expiresAt: NOW, headers: {} })),
    downloadUrl: vi.fn(async (key: string) => ({ url: `https://s3/${key}?get`, expiresAt: NOW })),
    probe: vi.fn(async () => ({ status: 'missing' }) as const),
    markAttached: vi.fn(async () => 'tagged' as const),
    markPending: vi.fn(async () => 'tagged' as const),
    delete: vi.fn(),
  };
  const fanOut: Mocked<Pick<FanOut, 'toUsers' | 'socketsOf' | 'isOpen'>> = {
    toUsers: vi.fn(async () => report),
    // One socket per user (`k-<userId>`), less the excluded one.
    socketsOf: vi.fn(async (userIds, options = {}) =>
      userIds
        .map((userId) => ({ userId, connectionId: `k-${userId}` }))
        .filter((t) => t.connectionId !== options.excludeConnectionId),
    ),
    isOpen: vi.fn(async () => true),
  };
  const deps: Deps = {
    store: store as unknown as ChatStore,
    fanOut: fanOut as unknown as FanOut,
    now: () => new Date(clock.ms),
    presenceConcurrency: 3,
    media: media as unknown as MediaBucket,
  };
  return { deps, store, fanOut, media };
}

/** The frames the fan-out was asked to send, with their recipients. */
export const sent = (fanOut: ReturnType<typeof fakeDeps>['fanOut']) =>
  fanOut.toUsers.mock.calls.map(([userIds, frame, options]) => ({
    userIds: [...userIds].sort(),
    frame,
    options,
  }));

export const caller = (userId: string) => ({ userId, name: userId.toUpperCase() });

export function groupChat(
  ownerId: string,
  memberIds: readonly string[],
  overrides: Partial<ChatRecord> = {},
) {
  const chat: ChatRecord = {
    chatId: 'g1',
    kind: 'group',
    name: 'Team',
    ownerId,
    lastSeq: 0,
    memberCount: memberIds.length,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastActivityAt: '2026-01-01T00:00:00.000Z',
    lastVer: 1,
    memberVer: 1,
    lastAllocAt: 0,
    minSyncVer: 0,
    ...overrides,
  };
  const members = memberIds.map(
    (userId, i): MemberRecord => ({
      chatId: chat.chatId,
      userId,
      role: userId === ownerId ? 'owner' : 'member',
      lastReadSeq: 0,
      lastDeliveredSeq: 0,
      joinedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
      kind: chat.kind,
    }),
  );
  return { chat, members };
}

/** What `getMemberAndChat` finds for `userId` in `head` (its first member by default). */
export function memberAndChat(
  head: { chat: ChatRecord; members: MemberRecord[] } = groupChat('ann', ['ann']),
  userId = head.members[0]?.userId,
): MemberAndChat {
  return { member: head.members.find((m) => m.userId === userId), chat: head.chat };
}

/** Fake deps whose chat g1 (ann's group unless overridden) is what a send's head read finds. */
export function withChat(overrides: Partial<ChatRecord> = {}, memberIds = ['ann', 'bob']) {
  const fake = fakeDeps();
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', memberIds, overrides));
  return fake;
}

/** Ann's send into g1, with a clientMessageId, from her socket k-ann. */
export const annSend = { chatId: 'g1', text: 'hi', clientMessageId: 'cm-1', connectionId: 'k-ann' };

/** Lets every pending promise callback run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** A stored message of chat g1 at `seq` (by ann unless overridden). */
export const stored = (seq: number, overrides: Partial<MessageRecord> = {}): MessageRecord => ({
  chatId: 'g1',
  messageId: newMessageId(seq),
  seq,
  senderId: 'ann',
  text: 'hi',
  replyTo: null,
  clientMessageId: null,
  createdAt: NOW,
  editedAt: null,
  deleted: false,
  ver: seq + 1,
  allocAt: clock.ms - 60_000,
  ...overrides,
});
