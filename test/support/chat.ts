/**
 * Helpers for the chat end-to-end suites: users with sockets, chats, messages, exact shapes of the
 * contract's objects, and deterministic "nothing arrived" checks.
 */

import { SignJWT } from 'jose';
import * as v from 'valibot';
import { expect } from 'vitest';
import { DEV_JWT_SECRET } from '../../lambdas/auth/verifier.ts';
import type { Chat, ChatSummary, Member, Message } from '../../lambdas/contract/objects.ts';
import * as contract from '../../lambdas/contract/objects.ts';
import { eventually, type Frame, TestClient } from './client.ts';
import { type TestStack, uniqueId } from './stack.ts';

/** A socket of a user: a TestClient that knows its user and its gateway connection id. */
export type UserSocket = TestClient & {
  readonly userId: string;
  readonly name: string;
  readonly connectionId: string;
};

/** The contract's objects (lambdas/contract/objects.ts). */
export type { Chat, ChatSummary, Member, Message };

export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let connecting: Promise<unknown> = Promise.resolve();

/**
 * Opens a socket for `userId` (display name `name`) and finds its connection id by diffing the
 * gateway's open connections. Connects are serialized so the diff is unambiguous.
 */
export function connectUser(stack: TestStack, userId = uniqueId('user'), name?: string): Promise<UserSocket> {
  const run = async (): Promise<UserSocket> => {
    const before = new Set(stack.gateway.connectionIds);
    const displayName = name ?? `Name ${userId}`;
    const client = await TestClient.connect(await stack.urlFor(userId, { name: displayName }));
    const added = stack.gateway.connectionIds.filter((id) => !before.has(id));
    if (added.length !== 1) throw new Error(`expected one new connection, found ${added.length}`);
    return Object.assign(client, { userId, name: displayName, connectionId: added[0] as string });
  };
  const next = connecting.then(run, run);
  connecting = next.catch(() => undefined);
  return next;
}

/** Several users, one socket each. */
export async function connectUsers(stack: TestStack, count: number, prefix = 'user'): Promise<UserSocket[]> {
  const out: UserSocket[] = [];
  for (let i = 0; i < count; i++) out.push(await connectUser(stack, uniqueId(prefix)));
  return out;
}

/** An administrator's socket: a dev token with the `roles` claim (or `claims`, another claim holding it). */
export async function connectAdmin(
  stack: TestStack,
  claims: Record<string, unknown> = { roles: ['admin'] },
): Promise<UserSocket> {
  const userId = uniqueId('admin');
  const token = await new SignJWT({ name: 'An admin', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(DEV_JWT_SECRET));
  const client = await TestClient.connect(`${stack.url}/?token=${token}`);
  return Object.assign(client, { userId, name: 'An admin', connectionId: '' });
}

/** Another socket of the same user. */
export function anotherSocket(stack: TestStack, socket: UserSocket): Promise<UserSocket> {
  return connectUser(stack, socket.userId, socket.name);
}

export async function makeDirect(caller: TestClient, peerId: string): Promise<Chat> {
  const ack = await caller.ok('createChat', { kind: 'direct', userId: peerId });
  return ack.chat as Chat;
}

/**
 * A new group of `owner` and `memberIds`. The reply may take long for a big group on DynamoDB Local:
 * files that create one give createChat more time (BIG_GROUP_TIMEOUTS in stack.ts).
 */
export async function makeGroup(owner: TestClient, memberIds: string[], name = 'A group'): Promise<Chat> {
  const ack = await owner.ok('createChat', { kind: 'group', name, memberIds }, 60_000);
  return ack.chat as Chat;
}

/** A new group of two: its owner and one member, both connected (ids unique, from the prefixes). */
export async function groupOfTwo(
  stack: TestStack,
  name: string,
  ownerPrefix = 'owner',
): Promise<{ owner: UserSocket; member: UserSocket; chat: Chat }> {
  const owner = await connectUser(stack, uniqueId(ownerPrefix));
  const member = await connectUser(stack, uniqueId('member'));
  return { owner, member, chat: await makeGroup(owner, [member.userId], name) };
}

export async function sendText(
  socket: TestClient,
  chatId: string,
  text: string,
  extra: Record<string, unknown> = {},
): Promise<Message> {
  const ack = await socket.ok('sendMessage', { chatId, text, ...extra });
  return ack.message as Message;
}

export async function getChat(socket: TestClient, chatId: string): Promise<Chat> {
  return (await socket.ok('getChat', { chatId })).chat as Chat;
}

export async function listChats(socket: TestClient): Promise<ChatSummary[]> {
  return (await socket.ok('listChats')).chats as ChatSummary[];
}

export async function summaryOf(socket: TestClient, chatId: string): Promise<ChatSummary | undefined> {
  return (await listChats(socket)).find((c) => c.chatId === chatId);
}

export async function history(
  socket: TestClient,
  chatId: string,
  page: { before?: number; after?: number; limit?: number } = {},
): Promise<{ messages: Message[]; hasMore: boolean }> {
  const ack = await socket.ok('history', { chatId, ...page });
  return { messages: ack.messages as Message[], hasMore: ack.hasMore as boolean };
}

/**
 * Waits until every handler invocation under way has finished, and the work they handed to the
 * workers' queues to be done now (under load a route hands the posts it has no time left for to the
 * fan-out queue, which the gateway does not track), so every event and reply has been written to
 * its socket; then does a ping round trip on each socket: whatever the server sent to a socket
 * before is in its `frames` afterwards. The ordering anchor for "X did NOT receive E".
 *
 * Queue messages on a timer (a failed post's retry, a presence recheck, a deletion's finish job)
 * are not waited for: tests check what happens before they run.
 */
export async function settle(stack: TestStack, ...sockets: TestClient[]): Promise<void> {
  await workDoneNow(stack);
  await Promise.all(
    sockets.filter((s) => s.isOpen).map((s) => s.request('ping').then((f) => expect(f.type).toBe('pong'))),
  );
}

/** The gateway idle and no queue message visible or in flight, until a pass queues nothing new. */
async function workDoneNow(stack: TestStack): Promise<void> {
  const queues = [...stack.queues.values()];
  const sent = () => queues.reduce((n, q) => n + q.stats.sent, 0);
  for (;;) {
    const before = sent();
    await stack.gateway.idle();
    await Promise.all(queues.map((q) => q.idleExceptDelayed()));
    await stack.gateway.idle();
    if (sent() === before) return;
  }
}

/** Events of `type` received so far that match `where`. */
export function eventsOf(
  socket: TestClient,
  type: string,
  where: (f: Frame) => boolean = () => true,
): Frame[] {
  return socket.frames.filter((f) => f.type === type && where(f));
}

/** Whether a frame is about message `messageId` (carries it, or names it). */
export const aboutMessage =
  (messageId: string) =>
  (f: Frame): boolean =>
    (f.message as Message | undefined)?.messageId === messageId || f.messageId === messageId;

/** Ids in a stable order, to compare sets of ids. */
export const sorted = (ids: readonly string[]): string[] => [...ids].sort();

export const forChat =
  (chatId: string) =>
  (f: Frame): boolean =>
    f.chatId === chatId ||
    (f.chat as Chat | undefined)?.chatId === chatId ||
    (f.message as Message | undefined)?.chatId === chatId;

/**
 * Asserts that `value` is exactly an object of the contract (lambdas/contract/objects.ts): the same
 * keys, nested objects included, and values the schema accepts.
 */
export function expectContractShape(schema: v.GenericSchema, value: unknown): void {
  const result = v.safeParse(schema, value);
  expect(result.issues?.map((i) => `${v.getDotPath(i) ?? ''}: ${i.message}`) ?? []).toEqual([]);
  expect(extraKeys(schema, value)).toEqual([]);
}

/** Keys present in `value` that the object schema does not declare (recursively). */
function extraKeys(schema: v.GenericSchema, value: unknown, path = ''): string[] {
  const inner = unwrap(schema);
  if (inner.type === 'object' && value && typeof value === 'object') {
    const entries = (inner as v.ObjectSchema<v.ObjectEntries, undefined>).entries;
    return Object.entries(value).flatMap(([key, item]) => {
      const entry = entries[key];
      return entry ? extraKeys(entry, item, `${path}${key}.`) : [`${path}${key}`];
    });
  }
  if (inner.type === 'array' && Array.isArray(value)) {
    const item = (inner as v.ArraySchema<v.GenericSchema, undefined>).item;
    return value.flatMap((x, i) => extraKeys(item, x, `${path}${i}.`));
  }
  return [];
}

function unwrap(schema: v.GenericSchema): v.GenericSchema {
  const wrapped = (schema as { wrapped?: v.GenericSchema }).wrapped;
  return wrapped ? unwrap(wrapped) : schema;
}

/** Asserts that `m` is a Message with exactly the contract's fields and sane values. */
export function expectMessageShape(m: unknown): asserts m is Message {
  expectContractShape(contract.Message, m);
  const msg = m as Message;
  expect(msg.createdAt).toMatch(ISO_TIME);
  expect(Number.isInteger(msg.seq) && msg.seq > 0).toBe(true);
}

/** Asserts that `c` is a Chat with exactly the contract's fields and exactly one owner, its ownerId. */
export function expectChatShape(c: unknown): asserts c is Chat {
  expectContractShape(contract.Chat, c);
  const chat = c as Chat;
  expect(chat.createdAt).toMatch(ISO_TIME);
  for (const member of chat.members) expect(member.joinedAt).toMatch(ISO_TIME);
  expect(chat.members.filter((m) => m.role === 'owner').map((m) => m.userId)).toEqual([chat.ownerId]);
}

/** The chat with its members in userId order, to compare chats regardless of member order. */
export function byUser(chat: Chat): Chat {
  return { ...chat, members: [...chat.members].sort((a, b) => (a.userId < b.userId ? -1 : 1)) };
}

export function expectSummaryShape(s: unknown): asserts s is ChatSummary {
  expectContractShape(contract.ChatSummary, s);
  const summary = s as ChatSummary;
  if (summary.lastMessage) expectMessageShape(summary.lastMessage);
}

export function memberOf(chat: Chat, userId: string): Member | undefined {
  return chat.members.find((m) => m.userId === userId);
}

/**
 * Sends a request that must fail: asserts the exact error frame (code, action, requestId, a message
 * matching `message`), that the chat's partition is unchanged (nothing written) and that the socket
 * still answers a ping.
 */
export async function expectRefused(
  stack: TestStack,
  socket: TestClient,
  action: string,
  fields: Record<string, unknown>,
  code: string,
  options: { chatId?: string | undefined; message?: RegExp } = {},
): Promise<Frame> {
  const chatId = options.chatId ?? (typeof fields.chatId === 'string' ? fields.chatId : undefined);
  const before = chatId ? await stack.items(`CHAT#${chatId}`) : undefined;
  const reply = await socket.request(action, fields);
  expect(reply).toEqual({
    type: 'error',
    action,
    requestId: expect.any(String),
    code,
    message: expect.any(String),
  });
  expect(String(reply.message).length).toBeGreaterThan(5);
  if (options.message) expect(String(reply.message)).toMatch(options.message);
  await stack.gateway.idle();
  if (chatId) expect(await stack.items(`CHAT#${chatId}`)).toEqual(before);
  expect((await socket.request('ping')).type).toBe('pong');
  expect(socket.isOpen).toBe(true);
  return reply;
}

/** The ids of a user's open connections as stored in the table. */
export async function storedConnectionIds(stack: TestStack, userId: string): Promise<string[]> {
  return (await stack.items(`USER#${userId}`))
    .map((i) => String(i.sk))
    .filter((sk) => sk.startsWith('CONN#'))
    .map((sk) => sk.slice('CONN#'.length));
}

/** Closes the sockets and waits until the gateway saw them close and their `$disconnect` has run. */
export async function closeAll(stack: TestStack, ...sockets: UserSocket[]): Promise<void> {
  await Promise.all(sockets.map((s) => s.close()));
  const ids = new Set(sockets.map((s) => s.connectionId));
  await eventually(() => !stack.gateway.connectionIds.some((id) => ids.has(id)));
  await stack.gateway.idle();
}
