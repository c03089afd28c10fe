/** The scheduled-message unit tests' fixtures: fake deps with a due queue, a stored record, a request. */
import { vi } from 'vitest';
import type { ScheduledRecord } from '../../../lambdas/data/store.ts';
import type { DueQueue } from '../../../lambdas/queue/due-queue.ts';
import { caller, fakeDeps, groupChat, NOW } from './fakes.ts';

export const ann = caller('ann');
export const at = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();

export function scheduledDeps() {
  const fake = fakeDeps();
  const queue = { enqueue: vi.fn<DueQueue['enqueue']>(async () => undefined) };
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
  // Every chat asked for exists (listScheduled reads the META of its schedules' chats).
  fake.store.chats.getChats.mockImplementation(
    async (ids) => new Map(ids.map((chatId) => [chatId, groupChat('ann', ['ann'], { chatId }).chat])),
  );
  return { ...fake, queue, deps: { ...fake.deps, queue, horizonMs: 120_000 } };
}

export function record(overrides: Partial<ScheduledRecord> = {}): ScheduledRecord {
  return {
    scheduledId: 's_1',
    userId: 'ann',
    authorName: 'ANN',
    chatId: 'g1',
    text: 'hi',
    replyTo: null,
    clientMessageId: null,
    sendAt: at(-500),
    status: 'pending',
    messageId: null,
    reason: null,
    createdAt: at(-60_000),
    attempts: 0,
    ...overrides,
  };
}
export const input = (sendAt: string) => ({
  chatId: 'g1',
  text: 'hi',
  sendAt,
  clientMessageId: undefined,
  replyTo: undefined,
  attachments: undefined,
  connectionId: 'c1',
});

/** The scheduled-item writes the domain asked for, in order (anything that leaves `sending` included). */
export const scheduledWrites = (store: ReturnType<typeof scheduledDeps>['store']) =>
  Object.entries(store.scheduled)
    .filter(([name]) => !['get', 'listPending'].includes(name))
    .flatMap(([name, fn]) => fn.mock.invocationCallOrder.map((order) => [order, name] as const))
    .sort(([a], [b]) => a - b)
    .map(([, name]) => name);
