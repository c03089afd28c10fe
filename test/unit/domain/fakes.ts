/**
 * Domain dependencies made of mocks: every repository method and the fan-out are `vi.fn()`s with
 * harmless defaults that a test overrides. The domain decides; these record what it asked for.
 */
import { type Mocked, vi } from 'vitest';
import type { ChatRecord, ChatStore, MemberRecord, MessageRecord } from '../../../lambdas/data/store.ts';
import type { Deps } from '../../../lambdas/domain/deps.ts';
import type { FanOut } from '../../../lambdas/fanout/fanout.ts';

export const NOW = '2026-03-01T12:00:00.000Z';
const report = { delivered: 0, gone: 0, failed: 0, retried: 0 };

type FakeStore = { [R in keyof ChatStore]: Mocked<Pick<ChatStore[R], keyof ChatStore[R]>> };

export function fakeDeps() {
  const store: FakeStore = {
    connections: { put: vi.fn(), delete: vi.fn(async () => true), listIds: vi.fn(async () => []) },
    profiles: {
      touch: vi.fn(),
      setName: vi.fn(),
      setLastSeen: vi.fn(),
      getMany: vi.fn(async () => new Map()),
    },
    chats: {
      getWithMembers: vi.fn(async () => ({ chat: undefined, members: [] })),
      getMember: vi.fn(async () => undefined),
      listMemberships: vi.fn(async () => []),
      getMembershipsAndChats: vi.fn(async () => ({ members: new Map(), chats: new Map() })),
      getDirectChatId: vi.fn(async () => undefined),
      create: vi.fn(async () => ({ status: 'created' }) as const),
      addMembers: vi.fn(async () => 'changed' as const),
      removeMember: vi.fn(async () => 'changed' as const),
      delete: vi.fn(),
    },
    messages: {
      append: vi.fn(async (message: MessageRecord) => ({ status: 'stored', message }) as const),
      getLastSeq: vi.fn(async () => undefined),
      get: vi.fn(async () => undefined),
      getLastMessages: vi.fn(async () => new Map()),
      getHistoryPage: vi.fn(async () => ({ messages: [], hasMore: false })),
      edit: vi.fn(async () => undefined),
      softDelete: vi.fn(async () => true),
    },
    cursors: {
      advance: vi.fn(
        async (_c: string, _u: string, seq: number) => ({ status: 'moved', lastReadSeq: seq }) as const,
      ),
    },
    scheduled: {
      create: vi.fn(async () => ({ status: 'created' }) as const),
      get: vi.fn(async () => undefined),
      listPending: vi.fn(async () => []),
      cancel: vi.fn(async () => true),
      claim: vi.fn(async () => undefined),
      release: vi.fn(async () => true),
      complete: vi.fn(async () => true),
      findSentMessageId: vi.fn(async () => undefined),
    },
    due: {
      listDue: vi.fn(async () => []),
      postpone: vi.fn(async () => true),
      getSweepCursor: vi.fn(async () => undefined),
      moveSweepCursor: vi.fn(async () => true),
    },
  };
  const fanOut: Mocked<Pick<FanOut, 'toUsers' | 'isOpen'>> = {
    toUsers: vi.fn(async () => report),
    isOpen: vi.fn(async () => true),
  };
  const deps: Deps = {
    store: store as unknown as ChatStore,
    fanOut: fanOut as unknown as FanOut,
    now: () => new Date(NOW),
    presenceConcurrency: 3,
  };
  return { deps, store, fanOut };
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
    ...overrides,
  };
  const members = memberIds.map(
    (userId, i): MemberRecord => ({
      chatId: chat.chatId,
      userId,
      role: userId === ownerId ? 'owner' : 'member',
      lastReadSeq: 0,
      joinedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
      kind: chat.kind,
    }),
  );
  return { chat, members };
}
