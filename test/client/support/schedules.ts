/**
 * The soak's scheduled messages (SettingsMix): a member schedules one a few seconds ahead into a
 * chat of theirs, and sometimes cancels it. At the end, each one not cancelled went out exactly
 * once; at most once where that cannot be told (refused, or the cancel's answer lost) or where its
 * author left the chat or was blocked before it went out (it may then fail).
 */
import type { ChatClient, Message } from '../../../client/src/index.ts';
import { eventually, sleep } from '../../support/client.ts';
import type { SettingsMix, Token } from './settings-mix.ts';

interface Schedule {
  readonly text: string;
  readonly userId: string;
  readonly chatId: string;
  readonly token: Token;
  /**
   * Exactly one copy (`due`); none (`cancelled`, or `late`: a repeat after its sendAt was refused,
   * so the first never stored it: protocol.md, a repeat answers the schedule made); or at most one
   * (`unsure`: refused, its author away or blocked, or an answer lost).
   */
  outcome: 'due' | 'cancelled' | 'late' | 'unsure';
  /** Its author left the chat (or was blocked) before it went out: it may have failed (at most one). */
  disturbed?: boolean;
}

const pause = (min: number, max: number) => sleep(min + Math.random() * (max - min));
const codeOf = (e: unknown) => String((e as { code?: string }).code ?? e);

export class Schedules {
  readonly figures = { scheduled: 0, cancelled: 0, cancelTooLate: 0, late: 0, unsure: 0, disturbed: 0 };
  readonly #list: Schedule[] = [];

  constructor(readonly mix: SettingsMix) {}

  /**
   * Until every one due went out: one the dispatcher missed (DynamoDB Local down) goes at the next
   * sweep (a minute locally). One whose author was disturbed may never go: not waited for.
   */
  async sent(): Promise<void> {
    const due = this.#list.filter((s) => s.outcome === 'due' && !s.disturbed);
    await eventually(() => due.every((s) => this.#held(s)), 75_000).catch(() => undefined);
  }

  isScheduled(m: Message): boolean {
    return this.#list.some((s) => s.text === m.text && s.userId === m.senderId);
  }

  /** Those delivered other than they should be: due ones exactly once, cancelled ones never. */
  diffs(all: readonly Message[]): string[] {
    return this.#list.flatMap((s) => {
      const copies = all.filter((m) => m.text === s.text && m.senderId === s.userId).length;
      const outcome = s.outcome === 'due' && s.disturbed ? 'unsure' : s.outcome;
      if (s.outcome === 'unsure') this.figures.unsure++;
      if (s.outcome === 'due' && s.disturbed) this.figures.disturbed++;
      const ok = outcome === 'due' ? copies === 1 : outcome === 'unsure' ? copies <= 1 : copies === 0;
      return ok ? [] : [`${s.text} (${outcome}): ${copies} copies`];
    });
  }

  /** Held by one of its author's devices. */
  #held(s: Schedule): boolean {
    return this.mix.clients.some(
      (c) => c.userId === s.userId && c.messages(s.chatId).some((m) => m.text === s.text),
    );
  }

  async schedule(self: ChatClient, chatId: string): Promise<void> {
    const n = ++this.figures.scheduled;
    const sendAt = Date.now() + 2000 + Math.random() * 3000;
    const s: Schedule = {
      text: `scheduled ${n} by ${self.userId}`,
      userId: self.userId,
      chatId,
      token: this.mix.token(self.userId, chatId),
      outcome: 'unsure',
    };
    this.#list.push(s);
    const fields = {
      chatId,
      text: s.text,
      clientMessageId: `sched-${n}`,
      sendAt: new Date(sendAt).toISOString(),
    };
    let scheduledId = '';
    const asked = await this.mix.ask('schedule', async () => {
      scheduledId = (await self.request('scheduleMessage', fields)).scheduled.scheduledId;
    }, ['NOT_FOUND', 'FORBIDDEN', 'BAD_REQUEST']);
    if (asked === 'BAD_REQUEST' && Date.now() > sendAt) {
      s.outcome = 'late';
      this.figures.late++;
      return;
    }
    if (asked !== 'ok') {
      // Refused: its author away from the chat or blocked (then s.token tells), at most one copy.
      if (!this.mix.disturbed(s.token)) this.mix.failures.push(`${s.text}: refused ${asked}`);
      return;
    }
    s.outcome = 'due';
    if (Math.random() < 0.3) await this.#cancel(self, s, scheduledId);
    if (s.outcome !== 'due') return;
    // Was its author disturbed in the chat before it went out (seen by one of their devices)?
    await eventually(() => this.#held(s), Math.max(0, sendAt + 15_000 - Date.now())).catch(() => undefined);
    s.disturbed = this.mix.disturbed(s.token);
  }

  async #cancel(self: ChatClient, s: Schedule, scheduledId: string): Promise<void> {
    await pause(0, 4000);
    // One try: a repeat after a lost reply could be told CONFLICT of the message it cancelled.
    try {
      await self.request('cancelScheduled', { scheduledId });
      s.outcome = 'cancelled';
      this.figures.cancelled++;
    } catch (e) {
      if (codeOf(e) === 'CONFLICT') this.figures.cancelTooLate++;
      else s.outcome = 'unsure';
    }
  }
}
