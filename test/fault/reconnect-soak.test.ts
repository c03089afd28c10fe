/**
 * Reconnect soak (bounded; SOAK_SECONDS, default 20 — longer on a slow machine, until the traffic
 * is enough; `SOAK_SECONDS=60 npx vitest run test/fault/reconnect-soak.test.ts` for a longer run):
 * some members randomly drop their socket
 * (a clean close, or vanishing without a close frame) and reconnect while everyone sends. A client
 * keeps a view of each chat built from `message.created` events and, on every reconnect, the
 * catch-up of the contract (listChats, then history after the highest seq it holds without a gap);
 * its own messages come from the acks.
 * At the end every member's view holds every acknowledged message exactly once, in seq order without
 * gaps — the members that never dropped from events alone.
 */
import { describe, expect, it } from 'vitest';
import {
  type ChatSummary,
  connectUser,
  type Message,
  makeDirect,
  makeGroup,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { sleep } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 20);
const stack = useTestStack();

/** A client as the contract expects one to behave. */
class Member {
  socket: UserSocket | undefined;
  busy = false;
  readonly view = new Map<string, Map<string, Message>>();
  fromEvents = 0;
  fromCatchUp = 0;
  drops = 0;

  constructor(
    readonly userId: string,
    readonly stable: boolean,
  ) {}

  /** Adds a message to the view (from an event, a catch-up page, or the ack of one's own send). */
  add(message: Message, via: 'event' | 'catch-up' | 'ack'): void {
    let chat = this.view.get(message.chatId);
    if (!chat) {
      chat = new Map();
      this.view.set(message.chatId, chat);
    }
    if (chat.has(message.messageId)) return;
    chat.set(message.messageId, message);
    if (via === 'event') this.fromEvents++;
    if (via === 'catch-up') this.fromCatchUp++;
  }

  /** The highest seq held with nothing missing below it. */
  heldSeq(chatId: string): number {
    const seqs = new Set([...(this.view.get(chatId)?.values() ?? [])].map((m) => m.seq));
    let k = 0;
    while (seqs.has(k + 1)) k++;
    return k;
  }

  async connect(): Promise<void> {
    const socket = await connectUser(stack, this.userId);
    this.socket = socket;
    socket.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type?: string; message?: Message };
      if (frame.type === 'message.created' && frame.message) this.add(frame.message, 'event');
    });
    if (!this.stable) await this.catchUp();
  }

  async catchUp(): Promise<void> {
    const socket = this.socket as UserSocket;
    const chats = (await socket.ok('listChats')).chats as ChatSummary[];
    for (const chat of chats) {
      let after = this.heldSeq(chat.chatId);
      while (after < chat.lastSeq) {
        const page = await socket.ok('history', { chatId: chat.chatId, after, limit: 100 });
        const messages = page.messages as Message[];
        for (const m of messages) this.add(m, 'catch-up');
        if (!page.hasMore || messages.length === 0) break;
        after = (messages.at(-1) as Message).seq;
      }
    }
  }

  async drop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.drops++;
    if (Math.random() < 0.5) await socket.close();
    else {
      // Gone without a close frame: the server keeps a stale record until a fan-out finds it.
      stack.gateway.vanish(socket.connectionId);
      await socket.closed;
    }
  }
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

describe('reconnect soak', () => {
  it(
    `loses nothing while members drop and reconnect for ${SOAK_SECONDS} s`,
    async () => {
      const tag = uniqueId('soak');
      const stable = [new Member(`${tag}-s0`, true), new Member(`${tag}-s1`, true)];
      const droppers = [0, 1, 2, 3].map((i) => new Member(`${tag}-d${i}`, false));
      const members = [...stable, ...droppers];
      for (const m of members) await m.connect();
      const [s0, s1] = stable as [Member, Member];
      const [d0, d1, d2] = droppers as [Member, Member, Member];
      const group = await makeGroup(
        s0.socket as UserSocket,
        members.slice(1).map((m) => m.userId),
        'soak',
      );
      const direct1 = await makeDirect(s1.socket as UserSocket, d0.userId);
      const direct2 = await makeDirect(d1.socket as UserSocket, d2.userId);
      const chats = new Map<string, Member[]>([
        [group.chatId, members],
        [direct1.chatId, [s1, d0]],
        [direct2.chatId, [d1, d2]],
      ]);
      const acked = new Map<string, Map<string, Message>>([...chats.keys()].map((id) => [id, new Map()]));
      const errors: unknown[] = [];
      let sent = 0;

      const sendOne = async (member: Member) => {
        const socket = member.socket;
        if (!socket || member.busy) return;
        const mine = [...chats].filter(([, ms]) => ms.includes(member)).map(([id]) => id);
        const chatId = pick(mine);
        member.busy = true;
        const clientMessageId = `c${++sent}`;
        try {
          const reply = await socket.request('sendMessage', { chatId, text: `#${sent}`, clientMessageId });
          if (reply.type === 'ack') {
            const message = reply.message as Message;
            acked.get(chatId)?.set(message.messageId, message);
            member.add(message, 'ack');
          } else errors.push(reply);
        } finally {
          member.busy = false;
        }
      };

      // At least SOAK_SECONDS, and until the traffic is enough to mean something (a loaded machine
      // sends more slowly); never more than four times as long.
      const minSends = SOAK_SECONDS * 3;
      const minDrops = SOAK_SECONDS / 4;
      const drops = () => droppers.reduce((n, m) => n + m.drops, 0);
      const until = Date.now() + SOAK_SECONDS * 1000;
      const deadline = Date.now() + SOAK_SECONDS * 4000;
      const soaking = () =>
        Date.now() < deadline && (Date.now() < until || sent <= minSends || drops() <= minDrops);
      const tasks = new Set<Promise<void>>();
      const track = (p: Promise<void>) => {
        const t = p.catch((e: unknown) => {
          errors.push(String(e));
        });
        tasks.add(t);
        void t.finally(() => tasks.delete(t));
      };
      while (soaking()) {
        track(sendOne(pick(members)));
        const dropper = pick(droppers);
        if (Math.random() < 0.15 && dropper.socket && !dropper.busy) {
          track(
            (async () => {
              dropper.busy = true;
              try {
                await dropper.drop();
                await sleep(50 + Math.random() * 600);
                await dropper.connect();
              } finally {
                dropper.busy = false;
              }
            })(),
          );
        }
        await sleep(60 + Math.random() * 60);
      }
      while (tasks.size > 0) await Promise.all([...tasks]);

      // Everyone back online catches up once more; then every view is complete.
      for (const m of droppers) if (!m.socket) await m.connect();
      await settle(stack, ...members.map((m) => m.socket as UserSocket));
      for (const m of droppers) await m.catchUp();

      expect(errors).toEqual([]);
      expect(sent).toBeGreaterThan(minSends);
      expect(drops()).toBeGreaterThan(minDrops);
      for (const [chatId, chatMembers] of chats) {
        const expected = acked.get(chatId) as Map<string, Message>;
        const seqs = [...expected.values()].map((m) => m.seq).sort((a, b) => a - b);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
        for (const member of chatMembers) {
          const view = member.view.get(chatId) ?? new Map<string, Message>();
          const missing = [...expected.keys()].filter((id) => !view.has(id));
          expect(missing, `${member.userId} in ${chatId}`).toEqual([]);
          const extra = [...view.keys()].filter((id) => !expected.has(id));
          expect(extra, `${member.userId} in ${chatId}`).toEqual([]);
          // One message per seq and per clientMessageId: nothing was stored twice.
          expect(new Set([...view.values()].map((m) => m.seq)).size).toBe(view.size);
          expect(new Set([...view.values()].map((m) => m.clientMessageId)).size).toBe(view.size);
          expect(member.heldSeq(chatId)).toBe(seqs.length);
        }
      }
      // The stable members never caught up: events alone brought them everything.
      for (const m of stable) expect(m.fromCatchUp).toBe(0);
      expect(droppers.reduce((n, m) => n + m.fromCatchUp, 0)).toBeGreaterThan(0);

      await Promise.all(members.map((m) => m.socket?.close()));
    },
    (SOAK_SECONDS * 4 + 60) * 1000,
  );
});
