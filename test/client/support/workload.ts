/**
 * The soak's users: each client sends, edits, deletes and reacts through its outbox and reads up to
 * the newest message it holds (a few changes in flight at once), and every `messages` change the
 * app hears is recorded to check that each version arrived once and never an older one after a
 * newer one.
 */
import { expect } from 'vitest';
import type { ChatClient, Message } from '../../../client/src/index.ts';
import type { SettingsMix, Token } from './settings-mix.ts';

export interface WorkloadOptions {
  /** Sends in total (spread over the clients). */
  readonly messages: number;
  readonly react: boolean;
  /** Changes in flight per client. @default 6 */
  readonly inflight?: number;
  /** No new change is started after this time (ms since the epoch); the ones in flight finish. */
  readonly deadline?: number;
  /** Membership and settings changes (about 6% of actions), and the writes they may refuse. */
  readonly mix?: SettingsMix;
}

const EMOJI = ['👍', '🎉', '❤️', '😂'];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

export class Workload {
  acked = 0;
  edits = 0;
  deletes = 0;
  reactions = 0;
  reads = 0;
  /** Reads whose request failed (a socket killed under it: a plain request, not the outbox's). */
  readsFailed = 0;
  /** Writes refused while their author was away from the chat or blocked (SettingsMix.expected). */
  refused = 0;
  readonly failures: string[] = [];
  readonly #sent = new Map<string, string>();
  /** Sends refused as expected: stored at most once (a resend after a lost ack may be the one refused). */
  readonly #maybe = new Map<string, string>();
  readonly #redelivered: string[] = [];
  readonly #last = new Map<string, { ver: number; content: string }>();

  constructor(
    readonly clients: readonly ChatClient[],
    readonly chats: readonly (readonly string[])[],
    readonly o: WorkloadOptions,
  ) {
    for (const [i, client] of clients.entries()) {
      client.on('messages', ({ messages }) => {
        for (const m of messages) this.#hear(i, m);
      });
      // A chat the client dropped (its user left): what comes after its return is heard anew.
      client.on('chat', ({ chatId, chat }) => {
        if (chat !== null) return;
        for (const key of this.#last.keys()) if (key.startsWith(`${i}/${chatId}/`)) this.#last.delete(key);
      });
    }
  }

  async run(): Promise<void> {
    const each = Math.ceil(this.o.messages / this.clients.length);
    await Promise.all(this.clients.map((c, i) => this.#drive(c, i, each)));
    expect(this.failures).toEqual([]);
  }

  /**
   * Every send acknowledged is stored exactly once, one refused as expected at most once, and
   * nothing else is stored; of the mix's scheduled messages, those not cancelled once each.
   */
  checkStored(stored: readonly Message[]): void {
    expect(this.o.mix?.schedules.diffs(stored) ?? []).toEqual([]);
    const all = stored.filter((m) => !this.o.mix?.schedules.isScheduled(m));
    const byCmid = new Map<string, Message[]>();
    for (const m of all)
      byCmid.set(String(m.clientMessageId), [...(byCmid.get(String(m.clientMessageId)) ?? []), m]);
    for (const [cmid, senderId] of this.#sent) {
      const copies = byCmid.get(cmid) ?? [];
      expect(
        copies.map((m) => m.senderId),
        cmid,
      ).toEqual([senderId]);
    }
    let maybe = 0;
    for (const [cmid, senderId] of this.#maybe) {
      const copies = (byCmid.get(cmid) ?? []).map((m) => m.senderId);
      expect(copies.length <= 1 && copies.every((s) => s === senderId), `${cmid}: ${copies}`).toBe(true);
      maybe += copies.length;
    }
    expect(all.length).toBe(this.#sent.size + maybe);
  }

  figures() {
    const { acked: messages, edits, deletes, reactions, reads, readsFailed, refused } = this;
    return { messages, edits, deletes, reactions, reads, readsFailed, refused };
  }

  /** Versions the app heard twice, or after a newer one. */
  redelivered(): string[] {
    return this.#redelivered;
  }

  /**
   * What the app hears of a message: never the same content twice, never an older version after a
   * newer one. (One's own deletion is told from its ack, before its version is known; the version
   * that follows is kept silently.)
   */
  #hear(client: number, m: Message): void {
    const key = `${client}/${m.chatId}/${m.messageId}`;
    const content = JSON.stringify({ ...m, ver: 0 });
    const before = this.#last.get(key);
    if (before && (before.content === content || m.ver < before.ver)) {
      this.#redelivered.push(`${key}: ${before.ver} ${before.content} then ${m.ver} ${content}`);
    }
    this.#last.set(key, { ver: m.ver, content });
  }

  async #drive(client: ChatClient, index: number, count: number): Promise<void> {
    const own: Message[] = [];
    const inflight = new Set<Promise<unknown>>();
    const mix = this.o.mix;
    const track = (what: string, p: Promise<unknown>, t?: Token, refused?: () => void) => {
      const tracked = p
        .catch((error: unknown) => {
          if (!mix?.expected(t, error)) return this.failures.push(`${what}: ${String(error)}`);
          this.refused++;
          refused?.();
        })
        .finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    };
    for (let sent = 0; sent < count && Date.now() < (this.o.deadline ?? Number.POSITIVE_INFINITY); ) {
      const roll = Math.random();
      const token = (chatId: string) => mix?.token(client.userId, chatId);
      const chats = mix ? mix.usable(client.userId, this.chats[index] ?? []) : (this.chats[index] ?? []);
      if (roll < 0.07 && own.length > 0) {
        const m = pick(own);
        this.edits++;
        const t = token(m.chatId);
        track('edit', client.editMessage(m.chatId, m.messageId, `${m.text} (edited ${this.edits})`), t);
      } else if (roll < 0.1 && own.length > 0) {
        const m = own.splice(Math.floor(Math.random() * own.length), 1)[0] as Message;
        this.deletes++;
        track('delete', client.deleteMessage(m.chatId, m.messageId), token(m.chatId));
      } else if (this.o.react && roll < 0.14 && own.length > 0) {
        const m = pick(own);
        this.reactions++;
        const t = token(m.chatId);
        track('react', client.react(m.chatId, m.messageId, pick(EMOJI), Math.random() < 0.3), t);
      } else if (mix && roll >= 0.94 && mix.start(index)) {
        // A membership or settings change (SettingsMix), beside the writes.
      } else if (roll < 0.2 || chats.length === 0) {
        // Up to the newest message held; the soak checks the read state everyone ends with.
        this.reads++;
        track(
          'read',
          client.markRead(pick(this.chats[index] ?? [])).catch(() => {
            this.readsFailed++;
          }),
        );
      } else {
        const chatId = pick(chats);
        const clientMessageId = `soak-${index}-${sent}`;
        this.#sent.set(clientMessageId, client.userId);
        sent++;
        track(
          'send',
          client.sendMessage(chatId, `message ${index}/${sent}`, { clientMessageId }).then((m) => {
            this.acked++;
            own.push(m);
          }),
          token(chatId),
          () => {
            this.#sent.delete(clientMessageId);
            this.#maybe.set(clientMessageId, client.userId);
          },
        );
      }
      if (inflight.size >= (this.o.inflight ?? 6)) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }
}
