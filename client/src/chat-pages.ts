/**
 * One chat's catch-up pages: `sync` from the chat's cursor until `hasMore` is false (a `reset` drops
 * what is held, reloads with `history` and syncs on from exactly its `lastVer`; a page whose cursor
 * did not move waits for the newest changes to settle), and `history` after a seq (the v1 catch-up,
 * and the reload after a reset). sync.ts decides when; this reads and applies.
 */
import type { ClientStats } from './api.ts';
import type { Ack, ActionName, Message, RequestInput } from './contract.ts';
import { MEMBERS_LISTED_MAX, memberCount, members } from './members.ts';
import type { ChatEntry, Replica } from './replica.ts';
import { sleep } from './util.ts';

export type Requester = <N extends ActionName>(action: N, fields: RequestInput<N>) => Promise<Ack<N>>;

/** Items a page asks for (the contract's most). */
export const PAGE = 100;

export interface PageDeps {
  readonly req: Requester;
  readonly replica: Replica;
  readonly stats: ClientStats;
}

/** `sync` pages until the chat is caught up (see the module comment). */
export async function syncPages(d: PageDeps, e: ChatEntry): Promise<void> {
  let reset = false;
  let countUnknown = false;
  for (let stalls = 0; ; ) {
    const sinceVer = e.syncedVer;
    const ack = await d.req('sync', { chatId: e.info.chatId, sinceVer, limit: PAGE });
    d.stats.catchUpRequests++;
    if (ack.reset) {
      // Drop what is held (a cursor the server never had, or older than it keeps), reload with
      // history, then sync on from exactly this answer's lastVer.
      if (reset) throw new Error(`sync of ${e.info.chatId} answered reset twice`);
      reset = true;
      d.stats.resets++;
      d.replica.reset(e);
      if (ack.members) {
        members(d.replica, e, ack.members, ack.memberCount);
        e.synced = e.stamp;
      }
      await historyPages(d, e, 0);
      d.replica.rewind(e, ack.lastVer);
      continue;
    }
    d.replica.apply(e, ack.messages);
    // An older server's answer has no memberCount: a full list may be a big group's first ones.
    const count = typeof ack.memberCount === 'number' ? ack.memberCount : undefined;
    if (ack.members) {
      members(d.replica, e, ack.members, count);
      e.synced = e.stamp;
      countUnknown = count === undefined && ack.members.length >= MEMBERS_LISTED_MAX;
    } else if (count !== undefined) memberCount(d.replica, e, count);
    d.replica.advance(e, ack.lastVer);
    d.replica.markLoaded(e);
    if (!ack.hasMore) break;
    // More to come but the cursor did not move: the newest changes are still settling.
    if (ack.lastVer > sinceVer) stalls = 0;
    else if (++stalls > 20) break;
    else await sleep(250 * stalls);
  }
  // The answer is applied by the request (live.ts applyRequest).
  if (countUnknown) await d.req('getChat', { chatId: e.info.chatId });
}

/** `history` pages after `after`, oldest first, until the end. */
export async function historyPages(d: PageDeps, e: ChatEntry, after: number): Promise<void> {
  for (;;) {
    const ack = await d.req('history', { chatId: e.info.chatId, after, limit: PAGE });
    d.stats.catchUpRequests++;
    d.replica.apply(e, ack.messages);
    const last: Message | undefined = ack.messages.at(-1);
    if (!ack.hasMore || !last) return;
    after = last.seq;
  }
}
