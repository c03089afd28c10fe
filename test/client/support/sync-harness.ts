/** The sync tests' fake server, started client and helpers, shared by test/client/sync-*.test.ts. */
import { afterEach, beforeEach, vi } from 'vitest';
import type { ChatClient, Message } from '../../../client/src/index.ts';
import { FakeServer } from './fake-server.ts';
import { FakeSocket } from './fake-socket.ts';
import { fakeClient, flush } from './harness.ts';

/** The fake server of the running test (a fresh one before each). */
export let server: FakeServer;

/** Fake timers, a fresh socket registry and a fresh server around each test of the calling file. */
export function useSyncHarness(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
    server = new FakeServer();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Serves every request until the client has nothing more to ask. */
export async function serveAll(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await flush();
    server.serve(FakeSocket.last);
  }
  await flush();
}

export async function started(options: Parameters<typeof fakeClient>[0] = {}) {
  const h = fakeClient({ gapMs: 2000, deliveredIntervalMs: 3000, ...options });
  const changes: { chatId: string; messages: readonly Message[] }[] = [];
  h.client.on('messages', (c) => changes.push(c));
  await flush();
  FakeSocket.last.open();
  await serveAll();
  return { ...h, changes };
}

export const texts = (client: ChatClient, chatId: string) => client.messages(chatId).map((m) => m.text);
