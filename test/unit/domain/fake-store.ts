/**
 * The fake store of the domain unit tests: every repository method is a `vi.fn()` with a harmless
 * default that a test overrides (the chat-head cache is the real, in-memory one). A few defaults
 * answer from another mock (the head read), so that a test sets one read and the others follow.
 */
import { type Mocked, vi } from 'vitest';
import type { MemberAndChat } from '../../../lambdas/data/chat-lists.ts';
import { ChatHeadCache } from '../../../lambdas/data/head-cache.ts';
import type { PresenceClaim } from '../../../lambdas/data/profiles.ts';
import type { ChatStore } from '../../../lambdas/data/store.ts';

type Repositories = Omit<ChatStore, 'heads'>;
export type FakeStore = {
  [R in keyof Repositories]: Mocked<Pick<Repositories[R], keyof Repositories[R]>>;
} & {
  heads: ChatHeadCache;
};

/** A fresh fake store: every method a new mock with its default. */
export function fakeStore(): FakeStore {
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
      claimPresenceAnnouncement: vi.fn(async (): Promise<PresenceClaim> => ({ outcome: 'announce' })),
      clearPresencePending: vi.fn(),
      markPresencePending: vi.fn(async () => true),
      unmarkPresenceShown: vi.fn(),
      getMany: vi.fn(async () => new Map()),
      remove: vi.fn(),
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
      deleteMembersButOwner: vi.fn(async () => undefined),
      deleteOwnerAndPointer: vi.fn(async () => 'deleted' as const),
      deleteMeta: vi.fn(async () => undefined),
      deleteMembersWithoutChat: vi.fn(async () => 'deleted' as const),
    },
    messages: {
      put: vi.fn(async () => ({ status: 'stored', chatGB: undefined }) as const),
      get: vi.fn(async () => undefined),
      getSlot: vi.fn(async () => undefined),
      findByClientId: vi.fn(async () => undefined),
      readSlots: vi.fn(async () => ({ slots: [], exhausted: true })),
      getLastMessages: vi.fn(async () => new Map()),
      changesSince: vi.fn(async () => ({ messages: [], hasMore: false })),
      newestChanges: vi.fn(async () => ({ messages: [], hasMore: false })),
      applyChange: vi.fn(async () => ({ status: 'refused', current: undefined }) as const),
      authoredPage: vi.fn(async () => ({ messages: [], next: undefined })),
    },
    rosters: {
      list: vi.fn(async () => []),
      listUpTo: vi.fn(async () => []),
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
      noteSentAhead: vi.fn(async () => undefined),
      // The stored cursor, by default as the membership the test's chat gives.
      lastReadSeq: vi.fn(
        async (chatId: string, userId: string) =>
          (await store.chats.getWithMembers(chatId)).members.find((m) => m.userId === userId)?.lastReadSeq,
      ),
    },
    sequence: {
      allocate: vi.fn(async () => ({ status: 'allocated', seq: 5, ver: 9 }) as const),
      allocateVersion: vi.fn(async () => ({ status: 'allocated', ver: 9 }) as const),
      giveBack: vi.fn(async () => true),
      fillVoid: vi.fn(async () => ({ status: 'voided' }) as const),
      raiseMinSyncVer: vi.fn(),
    },
    claims: {
      claim: vi.fn(async () => ({ status: 'claimed' }) as const),
      get: vi.fn(async () => undefined),
      takeOver: vi.fn(async () => true),
      noteAnnounced: vi.fn(async () => true),
      release: vi.fn(),
    },
    groupKeys: {
      get: vi.fn(async () => undefined),
      create: vi.fn(async () => ({ status: 'created' }) as const),
      takeOver: vi.fn(async () => true),
      complete: vi.fn(async () => ({ status: 'created' }) as const),
      abandon: vi.fn(async () => true),
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
      pushTargets: vi.fn(async () => ({ online: false, connectionIds: [], devices: [] })),
      startWindow: vi.fn(async () => 'started' as const),
    },
    mutes: { set: vi.fn(async () => 'set' as const) },
    pushMarks: { has: vi.fn(async () => false), put: vi.fn() },
    badges: { bump: vi.fn(async () => 1), set: vi.fn(), remove: vi.fn() },
    uploads: {
      create: vi.fn(),
      getMany: vi.fn(async () => new Map()),
      claim: vi.fn(async () => 'claimed' as const),
      release: vi.fn(async () => 0),
      handOver: vi.fn(async () => true),
      markDeleted: vi.fn(async (): Promise<string[]> => []),
      forgetDeleted: vi.fn(async () => undefined),
      expireDeleted: vi.fn(async () => undefined),
    },
    blocks: {
      block: vi.fn(async () => 'blocked' as const),
      unblock: vi.fn(async () => 'unblocked' as const),
      isBlocked: vi.fn(async () => false),
      pairBlocks: vi.fn(async (a: string, b: string) => ({ a, b, aBlocksB: false, bBlocksA: false })),
      mirror: vi.fn(async () => true),
      blockersAmong: vi.fn(async () => new Set<string>()),
      listPage: vi.fn(async () => ({ userIds: [], next: undefined })),
      listUpTo: vi.fn(async () => []),
      blockedAmong: vi.fn(async () => new Set<string>()),
      blockedOf: vi.fn(async () => new Set<string>()),
      countBlocks: vi.fn(async () => undefined),
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
      charge: vi.fn(async (_userId: string, _action: string, req: { nowMs: number }) => ({
        windowStart: req.nowMs,
        count: 1,
      })),
    },
    budgets: {
      charge: vi.fn(async () => ({ kind: 'charged', windowStart: 0 }) as const),
      refund: vi.fn(async () => true),
    },
    retention: {
      expireChat: vi.fn(async () => ({ count: 0, done: true, next: undefined })),
      expirePage: vi.fn(async () => ({ count: 0, failed: 0, next: undefined })),
    },
    socketCount: {
      claim: vi.fn(async () => ({ claimed: true }) as const),
      release: vi.fn(async () => undefined),
      repair: vi.fn(async () => true),
      markDeactivated: vi.fn(async () => undefined),
      clearDeactivated: vi.fn(async () => undefined),
    },
    deactivations: {
      get: vi.fn(async () => undefined),
      mark: vi.fn(async (record) => record),
      deletedAmong: vi.fn(async () => new Set<string>()),
      markDeleted: vi.fn(async ({ eraseMessages, ...record }) => ({
        ...record,
        deactivatedAt: record.deletedAt,
        ...(eraseMessages ? { eraseMessages: true as const } : {}),
      })),
      clear: vi.fn(async () => 'absent' as const),
    },
  };
  return store;
}
