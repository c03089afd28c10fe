/**
 * Issue 17, item 6: sockets must not outlive their tokens.
 *
 * - Every deployed action sent on a socket whose token has expired is answered `TOKEN_EXPIRED`, the
 *   server closes the socket, and nothing is written (one socket per action, all expired at once). So
 *   is any other frame: not JSON, an unknown action (`$default`), a bad requestId, fields the action
 *   refuses, a request over 64 KB.
 * - A token whose lifetime (`exp` − `iat`, or `exp` − now without `iat`) exceeds the maximum (24 h by
 *   default) is refused at the handshake with 401.
 */
import { type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_SECONDS } from '../../lambdas/auth/verifier.ts';
import { eachLimited } from '../../lambdas/shared/concurrency.ts';
import { ACTIONS } from '../../lib/routes.ts';
import { connectUser, history, listChats, makeGroup, sendText } from '../support/chat.ts';
import { HandshakeError, sleep, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** Users set up at once (each its own socket, group and message). */
const SETUP_PARALLEL = 8;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A valid frame's fields for each action, so that without the expiry check the action would act. */
function fieldsFor(
  action: string,
  chatId: string,
  messageId: string,
  peerId: string,
): Record<string, unknown> {
  const sendAt = new Date(Date.now() + 3_600_000).toISOString();
  const fields: Record<string, Record<string, unknown>> = {
    createChat: { kind: 'group', name: 'Made after expiry', memberIds: [peerId] },
    getChat: { chatId },
    history: { chatId },
    sendMessage: { chatId, text: 'sent after expiry' },
    editMessage: { chatId, messageId, text: 'edited after expiry' },
    deleteMessage: { chatId, messageId },
    readMessage: { chatId, messageId },
    typing: { chatId },
    invite: { chatId, userIds: [uniqueId('late')] },
    removeMember: { chatId, userId: peerId },
    deleteChat: { chatId },
    getPresence: { userIds: [peerId] },
    requestUpload: { chatId, contentType: 'image/png', size: 100 },
    getAttachmentUrl: { chatId, messageId, attachmentId: 'a-1' },
    markDelivered: { chatId, seq: 1 },
    sync: { chatId, sinceVer: 0 },
    scheduleMessage: { chatId, text: 'scheduled after expiry', sendAt },
    cancelScheduled: { scheduledId: 's-1' },
    deactivateUser: { userId: peerId },
    reactivateUser: { userId: peerId },
    deleteUser: { userId: peerId },
    deleteAccount: { eraseMessages: true },
  };
  return fields[action] ?? {};
}

/**
 * Frames that, on a live socket, get another error (BAD_REQUEST, UNKNOWN_ACTION, PAYLOAD_TOO_LARGE),
 * and the action and requestId their TOKEN_EXPIRED names.
 */
const MALFORMED: readonly {
  readonly name: string;
  readonly frame: string;
  readonly action: string | null;
  readonly requestId: string | null;
}[] = [
  { name: 'not JSON', frame: 'hello there', action: null, requestId: null },
  { name: 'a JSON array', frame: '["ping"]', action: null, requestId: null },
  { name: 'no action', frame: '{"requestId":"x-1"}', action: null, requestId: 'x-1' },
  {
    name: 'an unknown action',
    frame: '{"action":"nope","requestId":"x-2"}',
    action: 'nope',
    requestId: 'x-2',
  },
  {
    name: 'a bad requestId',
    frame: `{"action":"ping","requestId":"${'r'.repeat(65)}"}`,
    action: 'ping',
    requestId: null,
  },
  {
    name: 'a requestId with #',
    frame: '{"action":"ping","requestId":"#1"}',
    action: 'ping',
    requestId: '#1',
  },
  {
    name: 'fields the action refuses',
    frame: '{"action":"sendMessage","requestId":"x-3","chatId":42}',
    action: 'sendMessage',
    requestId: 'x-3',
  },
  {
    name: 'a request over 64 KB (in frames of 32 KB)',
    frame: JSON.stringify({ action: 'listChats', requestId: 'x-4', pad: 'p'.repeat(70 * 1024) }),
    action: 'listChats',
    requestId: 'x-4',
  },
];

describe('an expired token', () => {
  it('gets TOKEN_EXPIRED for every action and any other frame, the socket is closed, and nothing is written', {
    timeout: 300_000,
  }, async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    // One user per action, each the owner of its own group with `owner` (so every action is allowed),
    // set up on a long-lived socket; then a second socket each with a short-lived token.
    // (The users are set up a few at a time: one after the other this took 3 to 11 s.)
    const setups: { action: string; userId: string; chatId: string; messageId: string }[] = [];
    await eachLimited(ACTIONS, SETUP_PARALLEL, async (action) => {
      const setup = await connectUser(stack, uniqueId('short'));
      const chat = await makeGroup(setup, [owner.userId], `Group ${action}`);
      const message = await sendText(setup, chat.chatId, `before expiry ${action}`);
      setups.push({ action, userId: setup.userId, chatId: chat.chatId, messageId: message.messageId });
      await setup.close();
    });
    // Long enough to open every socket on a loaded machine (with the handshake's clock tolerance,
    // 15 s after signing; it took about 1 s under a load of 13); the test waits it out once.
    const ttlSeconds = 10;
    // The latest signing (epoch seconds): no token's `exp` is later than it + ttlSeconds.
    let lastSigned = 0;
    const shortLived = async (userId: string) => {
      const url = await stack.urlFor(userId, { ttlSeconds });
      lastSigned = Math.max(lastSigned, nowSeconds());
      return TestClient.connect(url);
    };
    const users = await Promise.all(
      setups.map(async (setup) => ({ ...setup, socket: await shortLived(setup.userId) })),
    );
    const malformed = await Promise.all(
      MALFORMED.map(async (c) => ({ ...c, socket: await shortLived(uniqueId('bad')) })),
    );
    const chatsBefore = (await listChats(owner)).length;
    // Past `exp` and the handshake's clock tolerance: the token is expired by every measure.
    const expiredAt = (lastSigned + ttlSeconds + CLOCK_TOLERANCE_SECONDS + 1) * 1000;
    await sleep(Math.max(0, expiredAt - Date.now()));

    const replies = await Promise.all(
      users.map(({ action, socket, chatId, messageId }) =>
        socket.request(action, fieldsFor(action, chatId, messageId, owner.userId)),
      ),
    );
    for (const [i, reply] of replies.entries()) {
      const action = users[i]?.action;
      expect({ action, type: reply.type, code: reply.code }).toEqual({
        action,
        type: 'error',
        code: 'TOKEN_EXPIRED',
      });
      expect(reply.action).toBe(action);
      expect(typeof reply.message).toBe('string');
    }
    // Whatever else is wrong with a frame, the answer is TOKEN_EXPIRED.
    const malformedReplies = await Promise.all(
      malformed.map(({ socket, frame }) => {
        const reply = socket.waitFor((f) => f.type === 'error', 10_000, 'the reply to a malformed frame');
        socket.sendRaw(frame);
        return reply;
      }),
    );
    expect(malformedReplies.map((r) => ({ code: r.code, action: r.action, requestId: r.requestId }))).toEqual(
      MALFORMED.map(({ action, requestId }) => ({ code: 'TOKEN_EXPIRED', action, requestId })),
    );
    // The server closes every one of those sockets.
    await Promise.all([...users, ...malformed].map(({ socket }) => socket.closed));
    await stack.gateway.idle();

    // Nothing was written: the owner sees the same chats, each with its one message unchanged.
    const chats = await listChats(owner);
    expect(chats).toHaveLength(chatsBefore);
    for (const { action, chatId, messageId } of users) {
      const page = await history(owner, chatId);
      expect(page.messages.map((m) => [m.messageId, m.text, m.deleted])).toEqual([
        [messageId, `before expiry ${action}`, false],
      ]);
    }
    await owner.close();
  });
});

/** A token signed with the stack's secret, every claim chosen by the test. */
async function craft(payload: JWTPayload): Promise<string> {
  const secret = new TextEncoder().encode(process.env.JWT_SECRET);
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

describe('the token lifetime at the handshake', () => {
  const connect = async (payload: JWTPayload) =>
    TestClient.connect(`${stack.url}/?token=${await craft(payload)}`);

  it('accepts a token that lives exactly the maximum (24 h)', async () => {
    const iat = nowSeconds();
    const client = await connect({ sub: uniqueId(), iat, exp: iat + 24 * 3600 });
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  it('refuses a token that lives longer than 24 h with 401 and stores nothing', async () => {
    const iat = nowSeconds();
    const userId = uniqueId();
    await expect(connect({ sub: userId, iat, exp: iat + 24 * 3600 + 60 })).rejects.toEqual(
      new HandshakeError(401),
    );
    await expect(connect({ sub: userId, iat, exp: iat + 100 * 365 * 24 * 3600 })).rejects.toEqual(
      new HandshakeError(401),
    );
    // Without `iat` the lifetime cannot be told: refused, however soon it expires (counted from now,
    // a 365-day token would pass in its last day).
    await expect(connect({ sub: userId, exp: nowSeconds() + 100 * 365 * 24 * 3600 })).rejects.toEqual(
      new HandshakeError(401),
    );
    await expect(connect({ sub: userId, exp: nowSeconds() + 300 })).rejects.toEqual(new HandshakeError(401));
    // Nor can an `iat` later than now (beyond the 5 s clock tolerance) shorten it.
    await expect(connect({ sub: userId, iat: iat + 3600, exp: iat + 7200 })).rejects.toEqual(
      new HandshakeError(401),
    );
    // An `iat` in the past does not stretch it either: what counts is exp − iat.
    await expect(connect({ sub: userId, iat: iat - 3600, exp: iat + 24 * 3600 - 60 })).rejects.toEqual(
      new HandshakeError(401),
    );
    await stack.gateway.idle();
    expect(await stack.items(`USER#${userId}`)).toEqual([]);
  });
});
