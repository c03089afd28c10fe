/**
 * Helpers for the push suites: users whose sockets are closed but whose devices are registered, the
 * notifications the local APNs/FCM stand-ins recorded, and waiting for them.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { PUSH_WORKER } from '../../lib/workers.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import type { PushRecord } from '../../local/push/providers.ts';
import type { LocalStackOptions } from '../../local/stack.ts';
import { closeAll, connectUser, type UserSocket } from './chat.ts';
import { eventually } from './client.ts';
import { standIn, startTestStack, type TestStack, uniqueId, useTestStack } from './stack.ts';

/** A test stack with the event pipeline running (stream poller, APNs/FCM stand-ins). */
export type PushStack = TestStack & { readonly pipeline: LocalPipeline };

export async function startPushStack(options: LocalStackOptions = {}): Promise<PushStack> {
  const stack = await startTestStack({ ...options, pipeline: true });
  if (!stack.pipeline) throw new Error('the stack has no pipeline');
  return stack as PushStack;
}

/** A push stack of the file's own, started before its tests and stopped after (useTestStack). */
export function usePushStack(options: LocalStackOptions = {}): PushStack {
  return useTestStack({ ...options, pipeline: true }) as PushStack;
}

/**
 * The push suites' sender: alice, online for the whole file (connected before its tests, closed
 * after). Like useTestStack, the value stands for the socket once connected: use it in hooks and tests.
 */
export function useAlice(stack: TestStack, name = 'Alice'): UserSocket {
  let current: UserSocket | undefined;
  beforeAll(async () => {
    current = await connectUser(stack, uniqueId('alice'), name);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return standIn(() => current, 'alice is not connected: use her in a hook or a test.');
}

export type Platform = 'apns' | 'fcm';

export interface DeviceSpec {
  readonly platform: Platform;
  readonly token: string;
}

export interface OfflineUser {
  readonly userId: string;
  readonly name: string;
  readonly devices: (DeviceSpec & { deviceId: string })[];
}

export const uniqueToken = (prefix = 'tok'): string => `${prefix}-${randomBytes(8).toString('hex')}`;

/** An APNs and an FCM device with fresh tokens. */
export const twoDevices = (): DeviceSpec[] => [
  { platform: 'apns', token: uniqueToken('apns') },
  { platform: 'fcm', token: uniqueToken('fcm') },
];

/** Registers devices on a socket; returns them with their deviceIds. */
export async function register(socket: UserSocket, devices: readonly DeviceSpec[]) {
  const out: (DeviceSpec & { deviceId: string })[] = [];
  for (const d of devices) {
    const ack = await socket.ok('registerDevice', { ...d });
    out.push({ ...d, deviceId: (ack.device as { deviceId: string }).deviceId });
  }
  return out;
}

/**
 * A user who connected once, registered `devices` (and ran `before`, e.g. muteChat), then closed
 * their socket: offline, with devices.
 */
export async function offlineUser(
  stack: TestStack,
  devices: readonly DeviceSpec[] = twoDevices(),
  before?: (socket: UserSocket) => Promise<unknown>,
  userId = uniqueId('off'),
): Promise<OfflineUser> {
  const socket = await connectUser(stack, userId);
  const registered = await register(socket, devices);
  await before?.(socket);
  await closeAll(stack, socket);
  return { userId: socket.userId, name: socket.name, devices: registered };
}

/** Everything the stand-ins recorded for a token (every attempt, refusals included). */
export function pushesTo(stack: PushStack, token: string): PushRecord[] {
  return stack.pipeline.push.to(token);
}

/** Waits until `token` has at least `count` recorded notifications; returns them. */
export async function waitForPushes(
  stack: PushStack,
  token: string,
  count = 1,
  timeoutMs = 10_000,
): Promise<PushRecord[]> {
  await eventually(() => pushesTo(stack, token).length >= count, timeoutMs).catch(() => {
    throw new Error(`expected ${count} pushes to ${token}, got ${JSON.stringify(pushesTo(stack, token))}`);
  });
  return pushesTo(stack, token);
}

/** The contract's payload fields as a notification carries them, whatever the platform. */
export function contentOf(record: PushRecord): Record<string, unknown> {
  if (record.platform === 'apns') {
    const body = record.payload as {
      aps: { alert?: { title?: string; body?: string }; badge?: number };
      chatId: string;
      messageId: string;
      seq: number;
      senderId: string;
    };
    return {
      chatId: body.chatId,
      messageId: body.messageId,
      seq: body.seq,
      senderId: body.senderId,
      title: body.aps.alert?.title,
      body: body.aps.alert?.body,
      badge: body.aps.badge,
    };
  }
  const message = (record.payload as { message: { data: Record<string, string> } }).message;
  const d = message.data;
  return {
    chatId: d.chatId,
    messageId: d.messageId,
    seq: Number(d.seq),
    senderId: d.senderId,
    title: d.title,
    body: d.body,
    badge: Number(d.badge),
  };
}

/**
 * Every change written so far has gone through the pipeline (its handler has returned), and so have
 * the push jobs it queued (the push worker, lib/workers.ts).
 */
export async function pipelineSettled(stack: PushStack): Promise<void> {
  await stack.gateway.idle();
  await stack.pipeline.streams.drain();
  await stack.pipeline.streams.idle();
  await stack.queues.get(PUSH_WORKER.name)?.idle();
}

/** A user's device items and device count as stored. */
export async function storedDevices(stack: TestStack, userId: string) {
  const items = await stack.items(`USER#${userId}`);
  const devices = items.filter((i) => String(i.sk).startsWith('DEVICE#'));
  const count = items.find((i) => i.sk === 'DEVICES')?.count ?? 0;
  return { tokens: devices.map((i) => String(i.token)).sort(), ids: devices.map((i) => i.deviceId), count };
}

/** Asserts that no notification went to any of the tokens. */
export function expectNoPushes(stack: PushStack, ...tokens: string[]): void {
  for (const token of tokens) expect(pushesTo(stack, token), token).toEqual([]);
}
