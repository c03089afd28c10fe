/**
 * The soak's membership and settings changes, a few % of the action mix (Workload asks `start`):
 * the owner invites an outsider into the group and removes them again; a member leaves the group
 * and the owner invites them back; a member of a direct chat leaves it and comes back (createChat
 * of the pair); a member blocks the peer of a direct chat and unblocks them; a member mutes a chat
 * (and sometimes unmutes it); a member schedules a message a few seconds ahead (and sometimes
 * cancels it). Membership and block changes run one at a time (`maxEpisodes` in all) and always
 * end with everyone back; mutes and schedules run beside them.
 *
 * A write refused while its author was away from the chat (or blocked by its peer) is an expected
 * refusal (`expected`), counted, not a failure; so is one that overlapped such an episode.
 */
import { expect } from 'vitest';
import type { Chat, ChatClient } from '../../../client/src/index.ts';
import { eventually, sleep } from '../../support/client.ts';
import { uniqueId } from '../../support/stack.ts';
import { Schedules } from './schedules.ts';

interface MixChats {
  readonly group: string;
  readonly owner: string;
  /** Direct chats and their two members. */
  readonly directs: readonly { readonly chatId: string; readonly pair: readonly string[] }[];
  /** A user with no client, invited into the group and removed again. */
  readonly outsider: string;
  readonly chatsOf: (userId: string) => readonly string[];
}

/** Taken when a write starts: was its author disturbed in that chat, or will they be before it ends? */
export interface Token {
  readonly key: string;
  readonly starts: number;
  readonly active: boolean;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const pause = (min: number, max: number) => sleep(min + Math.random() * (max - min));
const codeOf = (e: unknown) => String((e as { code?: string }).code ?? e);

export class SettingsMix {
  readonly counts = { invites: 0, leaves: 0, directLeaves: 0, blocks: 0, mutes: 0, unmutes: 0 };
  readonly failures: string[] = [];
  readonly #starts = new Map<string, number>();
  readonly #active = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly schedules = new Schedules(this);
  #episodes = 0;
  #busy = false;

  readonly c: MixChats;

  constructor(
    readonly clients: readonly ChatClient[],
    group: Chat,
    directs: readonly Chat[],
    chatsOf: (userId: string) => readonly string[],
    /** Of each: membership and block changes (in all), mutes, scheduled messages. */
    readonly maxEpisodes = 24,
  ) {
    this.c = {
      group: group.chatId,
      owner: group.ownerId,
      directs: directs.map((d) => ({ chatId: d.chatId, pair: d.members.map((m) => m.userId) })),
      outsider: uniqueId('soak-eve'),
      chatsOf,
    };
  }

  figures() {
    return { ...this.counts, ...this.schedules.figures };
  }

  token(userId: string, chatId: string): Token {
    const key = `${userId}/${chatId}`;
    return { key, starts: this.#starts.get(key) ?? 0, active: this.#active.has(key) };
  }

  /** Was the write of this token refused because its author was away or blocked? */
  expected(t: Token | undefined, error: unknown): boolean {
    if (!t || !['NOT_FOUND', 'FORBIDDEN'].includes(codeOf(error))) return false;
    return this.disturbed(t);
  }

  /** The chats a user may write into now (not those they are away from). */
  usable(userId: string, chatIds: readonly string[]): string[] {
    return chatIds.filter((chatId) => !this.#active.has(`${userId}/${chatId}:away`));
  }

  /** Maybe starts a change for client `index`; false when none was started. */
  start(index: number): boolean {
    const client = this.clients[index];
    if (!client) return false;
    const me = client.userId;
    const mine = this.usable(me, this.c.chatsOf(me));
    const directs = this.c.directs.filter((d) => d.pair.includes(me) && mine.includes(d.chatId));
    const kinds: string[] = [];
    if (this.counts.mutes < this.maxEpisodes) kinds.push('mute');
    if (this.schedules.figures.scheduled < this.maxEpisodes) kinds.push('schedule');
    if (!this.#busy && this.#episodes < this.maxEpisodes) {
      if (me === this.c.owner) kinds.push('invite');
      else if (mine.includes(this.c.group)) kinds.push('leave');
      if (directs.length > 0) kinds.push('directLeave', 'block');
    }
    if (mine.length === 0 || kinds.length === 0) return false;
    const kind = pick(kinds);
    const membership = !['mute', 'schedule'].includes(kind);
    if (membership) {
      this.#busy = true;
      this.#episodes++;
    }
    const run = (async () => {
      if (kind === 'mute') return this.#mute(client, pick(mine));
      if (kind === 'schedule') return this.schedules.schedule(client, pick(mine));
      if (kind === 'invite') return this.#invite();
      if (kind === 'leave') return this.#leave(me);
      const d = pick(directs);
      const peer = d.pair.find((u) => u !== me) as string;
      if (kind === 'block') return this.#block(client, d.chatId, peer);
      return this.#directLeave(client, d.chatId, peer);
    })()
      .catch((e: unknown) => {
        this.failures.push(`${kind} by ${me}: ${String(e)}`);
      })
      .finally(() => {
        if (membership) this.#busy = false;
        this.#running.delete(run);
      });
    this.#running.add(run);
    return true;
  }

  /** Every change finished (none failed), and every scheduled message due went out (or time passed). */
  async done(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    await this.schedules.sent();
    expect(this.failures).toEqual([]);
  }

  /** Was the author of this token away from its chat, or blocked, since it was taken? */
  disturbed(t: Token): boolean {
    return t.active || (this.#starts.get(t.key) ?? 0) > t.starts;
  }

  /** Marks a user disturbed in a chat (`away`: the workload keeps off it too) until `end()`. */
  #disturb(userId: string, chatId: string, away: boolean): () => void {
    const key = `${userId}/${chatId}`;
    this.#starts.set(key, (this.#starts.get(key) ?? 0) + 1);
    this.#active.add(key);
    if (away) this.#active.add(`${key}:away`);
    return () => {
      this.#active.delete(key);
      this.#active.delete(`${key}:away`);
    };
  }

  /** A request until it answers, or one of `ok`'s codes (e.g. NOT_FOUND for a repeat of a leave). */
  async ask(what: string, fn: () => Promise<unknown>, ok: readonly string[] = []): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        await fn();
        return 'ok';
      } catch (e) {
        if (ok.includes(codeOf(e))) return codeOf(e);
        if (attempt >= 15) throw new Error(`${what}: ${codeOf(e)}`);
        await sleep(1000);
      }
    }
  }

  /** Until every device of the user holds the chat again (it came back). */
  async #holds(userId: string, chatId: string): Promise<void> {
    const devices = this.clients.filter((c) => c.userId === userId);
    await eventually(() => devices.every((c) => c.chat(chatId) !== undefined), 30_000).catch(() => {
      this.failures.push(`${userId} did not get ${chatId} back within 30 s`);
    });
  }

  #owner(): ChatClient {
    return this.clients.find((c) => c.userId === this.c.owner) as ChatClient;
  }

  async #invite(): Promise<void> {
    const owner = this.#owner();
    const { group, outsider } = this.c;
    this.counts.invites++;
    await this.ask('invite', () => owner.request('invite', { chatId: group, userIds: [outsider] }));
    await pause(1000, 3000);
    await this.ask('remove', () => owner.request('removeMember', { chatId: group, userId: outsider }), [
      'NOT_FOUND',
    ]);
  }

  async #leave(me: string): Promise<void> {
    const self = this.clients.find((c) => c.userId === me) as ChatClient;
    const { group } = this.c;
    this.counts.leaves++;
    const end = this.#disturb(me, group, true);
    await this.ask('leave', () => self.request('removeMember', { chatId: group, userId: me }), ['NOT_FOUND']);
    await pause(1000, 3000);
    await this.ask('invite back', () => this.#owner().request('invite', { chatId: group, userIds: [me] }));
    await this.#holds(me, group);
    end();
  }

  async #directLeave(self: ChatClient, chatId: string, peer: string): Promise<void> {
    const me = self.userId;
    this.counts.directLeaves++;
    const end = this.#disturb(me, chatId, true);
    await this.ask('leave direct', () => self.request('removeMember', { chatId, userId: me }), ['NOT_FOUND']);
    await pause(1000, 3000);
    await this.ask('come back', () => self.request('createChat', { kind: 'direct', userId: peer }));
    await this.#holds(me, chatId);
    end();
  }

  /** The peer's writes into the direct chat are refused (FORBIDDEN) while blocked. */
  async #block(self: ChatClient, chatId: string, peer: string): Promise<void> {
    this.counts.blocks++;
    const end = this.#disturb(peer, chatId, false);
    await this.ask('block', () => self.request('blockUser', { userId: peer }));
    await pause(1000, 3000);
    await this.ask('unblock', () => self.request('unblockUser', { userId: peer }));
    end();
  }

  async #mute(self: ChatClient, chatId: string): Promise<void> {
    const t = this.token(self.userId, chatId);
    const until = new Date(Date.now() + 3_600_000 * (1 + Math.random())).toISOString();
    this.counts.mutes++;
    try {
      await this.ask('mute', () => self.request('muteChat', { chatId, until }), ['NOT_FOUND']);
      if (Math.random() < 0.5) return;
      await pause(500, 2000);
      this.counts.unmutes++;
      await this.ask('unmute', () => self.request('muteChat', { chatId, until: null }), ['NOT_FOUND']);
    } catch (e) {
      if (!this.expected(t, e)) throw e;
    }
  }
}
