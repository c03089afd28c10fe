/**
 * Domain dependencies made of mocks: every repository method and the fan-out are `vi.fn()`s with
 * harmless defaults that a test overrides (the chat-head cache is the real, in-memory one). The
 * domain decides; these record what it asked for. Time is a fake clock that only moves when a test
 * (or a mocked sleep, see `clock.sleep`) moves it.
 *
 * The clock is in fake-clock.ts, the repositories' mocks in fake-store.ts, the records tests start
 * from in fake-records.ts; all are re-exported here, so tests import from this module only.
 */
import { type Mocked, vi } from 'vitest';
import type { MediaBucket } from '../../../lambdas/data/media-bucket.ts';
import type { ChatRecord, ChatStore } from '../../../lambdas/data/store.ts';
import type { Deps } from '../../../lambdas/domain/deps.ts';
import type { SocketDirectory } from '../../../lambdas/fanout/directory.ts';
import type { FanOut } from '../../../lambdas/fanout/fanout.ts';
import { clock, NOW } from './fake-clock.ts';
import { groupChat } from './fake-records.ts';
import { fakeStore } from './fake-store.ts';

export { clock, NOW } from './fake-clock.ts';
export {
  annSend,
  caller,
  groupChat,
  memberAndChat,
  PNG_HEAD,
  pendingUpload,
  stored,
} from './fake-records.ts';

const report = { delivered: 0, gone: 0, connecting: 0, failed: 0, retried: 0, queued: 0 };

export function fakeDeps() {
  clock.ms = Date.parse(NOW);
  const store = fakeStore();
  const media: Mocked<Pick<MediaBucket, keyof MediaBucket>> = {
    uploadUrl: vi.fn(async (key: string) => ({ url: `https://s3/${key}?put`, expiresAt: NOW, headers: {} })),
    downloadUrl: vi.fn(async (key: string) => ({ url: `https://s3/${key}?get`, expiresAt: NOW })),
    probe: vi.fn(async () => ({ status: 'missing' }) as const),
    markAttached: vi.fn(async () => 'tagged' as const),
    markPending: vi.fn(async () => 'tagged' as const),
    delete: vi.fn(),
  };
  type FakeFanOut = Mocked<
    Pick<FanOut, 'toUsers' | 'toEach' | 'ephemeral' | 'socketsOf' | 'isOpen' | 'close' | 'queueJob'>
  > & { directory: Mocked<Pick<SocketDirectory, 'someSocketsOfGroup'>> };
  const fanOut: FakeFanOut = {
    // A group's roster as a receipt reads it (receipts.ts): empty unless a test lists sockets.
    directory: { someSocketsOfGroup: vi.fn(async () => []) },
    toUsers: vi.fn(async () => report),
    // A frame per part: recorded as one `toUsers` per part (`sent`).
    toEach: vi.fn(async (parts, options) => {
      for (const part of parts) await fanOut.toUsers(part.userIds, part.frame, options);
      return report;
    }),
    ephemeral: vi.fn(async () => ({ ...report, skipped: false })),
    // One socket per user (`k-<userId>`), less the excluded one.
    socketsOf: vi.fn(async (userIds, options = {}) =>
      userIds
        .map((userId) => ({ userId, connectionId: `k-${userId}` }))
        .filter((t) => t.connectionId !== options.excludeConnectionId),
    ),
    isOpen: vi.fn(async () => true),
    close: vi.fn(async () => 'closed' as const),
    // A receipt handed to the worker (its group's roster could not be read): queued, none posted.
    queueJob: vi.fn(async () => {}),
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

/** The ephemeral frames (`typing`) the fan-out was asked to send best-effort, with their recipients. */
export const sentEphemeral = (fanOut: ReturnType<typeof fakeDeps>['fanOut']) =>
  fanOut.ephemeral.mock.calls.map(([userIds, frame, options]) => ({
    userIds: [...userIds].sort(),
    frame,
    options,
  }));

/** Fake deps whose chat g1 (ann's group unless overridden) is what a send's head read finds. */
export function withChat(overrides: Partial<ChatRecord> = {}, memberIds = ['ann', 'bob']) {
  const fake = fakeDeps();
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', memberIds, overrides));
  return fake;
}

/** Lets every pending promise callback run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));
