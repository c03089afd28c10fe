/**
 * A busy group (issue 15): 20 members sending 100 messages a second in total into one chat, every
 * send from a random member with its own clientMessageId, open-loop. Seqs come from an atomic
 * counter, so no send may be refused (`CONFLICT` was two thirds of them before), every one is
 * acknowledged and delivered once to the 19 others, and afterwards the chat's history holds each
 * message once in strictly increasing seq and every member's unread count is exact.
 *
 * The members are the world's first users, in a group of their own made for this part. Their
 * deliveries are booked in the run's ledger like every latency phase's.
 */
import type { BenchClient } from '../client.ts';
import type { LatencySummary } from '../histogram.ts';
import type { DeliveryCounts } from '../ledger.ts';
import { runLoad } from '../load.ts';
import type { World } from '../world.ts';
import { round } from './latency.ts';

export interface BusyGroupResult {
  readonly members: number;
  readonly messages: number;
  /** Target and achieved send rate (messages/s, all senders together). */
  readonly targetRate: number;
  readonly sendRate: number;
  /** Sender write → each other member's `message.created`. */
  readonly latency: LatencySummary;
  /** Sender write → its ack. */
  readonly ack: LatencySummary;
  readonly counts: DeliveryCounts;
  /** Refused or unanswered sends by code (`CONFLICT` among them, if any). */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** What `history` holds afterwards. */
  readonly stored: {
    readonly messages: number;
    /** Acknowledged sends whose clientMessageId history holds not exactly once. */
    readonly notOnce: number;
    /** Messages history holds that no acknowledged send made (a send answered late or not at all). */
    readonly unacknowledged: number;
    readonly seqsIncreasing: boolean;
    /** The chat's `lastSeq`, and the seqs up to it history does not list (voids). */
    readonly lastSeq: number;
    readonly voids: number;
  };
  /** Members whose `listChats` unread count matched the history (of `members`). */
  readonly unreadExact: number;
  /** The others: expected and listed unread counts. */
  readonly unreadWrong: readonly {
    readonly userId: string;
    readonly expected: number;
    readonly listed: number | undefined;
  }[];
  /** Every figure above as it should be. */
  readonly ok: boolean;
}

interface StoredMessage {
  readonly seq: number;
  readonly senderId: string;
  readonly clientMessageId?: string;
}

export const BUSY_MEMBERS = 20;

/** Skipped (undefined) with fewer than 20 users connected. */
export async function busyGroup(
  world: World,
  options: { messages: number; rate: number; textChars: number },
  onTick: (fraction: number, label: string) => void,
): Promise<BusyGroupResult | undefined> {
  const size = BUSY_MEMBERS;
  if (world.clients.length < size || options.messages < 1) return undefined;
  const members = Array.from({ length: size }, (_, i) => i);
  const owner = world.clients[0] as BenchClient;
  onTick(0, `busy group: creating a group of ${size}`);
  const created = await owner.ok('createChat', {
    kind: 'group',
    name: 'busy group',
    memberIds: members.slice(1).map((i) => world.clients[i]?.userId),
  });
  const chatId = (created.chat as { chatId: string }).chatId;
  await new Promise((r) => setTimeout(r, 500)); // chat.created events settle before anything is booked
  const load = await runLoad({
    world,
    chats: [{ chatId, members }],
    rate: options.rate,
    seconds: options.messages / options.rate,
    textChars: options.textChars,
    drainMs: 20_000,
    onTick: (f) => onTick(0.1 + f * 0.7, `busy group: ${options.messages} sends at ${options.rate} msg/s`),
  });
  onTick(0.85, 'busy group: reading history and unread counts');
  const history = await fullHistory(owner, chatId);
  const chat = (await owner.ok('getChat', { chatId })).chat as { lastSeq: number };
  const perClientId = new Map<string, number>();
  for (const m of history) {
    const id = m.clientMessageId ?? '';
    perClientId.set(id, (perClientId.get(id) ?? 0) + 1);
  }
  const acked = load.ledger.ackedIds;
  const notOnce = [...acked].filter((id) => perClientId.get(id) !== 1).length;
  const unacknowledged = history.filter((m) => !acked.has(m.clientMessageId ?? '')).length;
  const seqs = history.map((m) => m.seq);
  // A member's read cursor is at their own newest message (moved before its ack), so the unread
  // count is the messages after it. listChats reads memberships eventually consistently (on AWS a
  // cursor moved just now may show late): each member is asked up to 3 times, 300 ms apart.
  const unreadWrong: { userId: string; expected: number; listed: number | undefined }[] = [];
  for (const i of members) {
    const client = world.clients[i] as BenchClient;
    const own = history.filter((m) => m.senderId === client.userId).map((m) => m.seq);
    const cursor = Math.max(0, ...own);
    const expected = history.filter((m) => m.seq > cursor).length;
    let listed: number | undefined;
    for (let attempt = 0; attempt < 3 && listed !== expected; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
      const chats = (await client.ok('listChats')).chats as { chatId: string; unreadCount: number }[];
      listed = chats.find((c) => c.chatId === chatId)?.unreadCount;
    }
    if (listed !== expected) unreadWrong.push({ userId: client.userId, expected, listed });
  }
  onTick(1, 'busy group: done');
  const counts = { ...load.ledger.counts };
  const stored = {
    messages: history.length,
    notOnce,
    unacknowledged,
    seqsIncreasing: seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)),
    lastSeq: chat.lastSeq,
    voids: chat.lastSeq - history.length,
  };
  const result = {
    members: size,
    messages: counts.sent,
    targetRate: options.rate,
    sendRate: round(load.sendRate),
    latency: load.latency.summary(),
    ack: load.ack.summary(),
    counts,
    errorCodes: { ...load.ledger.errorCodes },
    stored,
    unreadExact: size - unreadWrong.length,
    unreadWrong,
  };
  return { ...result, ok: busyOk(result) };
}

/** Every send acked and delivered once, each stored once in increasing seq, every unread count exact. */
export function busyOk(r: Omit<BusyGroupResult, 'ok'>): boolean {
  const c = r.counts;
  return (
    c.sent > 0 &&
    c.acked === c.sent &&
    c.delivered === c.expected &&
    c.sendErrors + c.missing + c.duplicated + c.unexpected === 0 &&
    r.stored.messages === c.acked &&
    r.stored.notOnce === 0 &&
    r.stored.unacknowledged === 0 &&
    r.stored.seqsIncreasing &&
    r.unreadExact === r.members
  );
}

/**
 * Every message of the chat by `history`, ascending by seq. A page of voids only (seqs whose put
 * missed its deadline) lists nothing but still has more: the next page starts after the seqs it
 * covered (`after` + the limit).
 */
async function fullHistory(client: BenchClient, chatId: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  const limit = 100;
  for (let after = 0; ; ) {
    const page = await client.ok('history', { chatId, after, limit });
    const messages = page.messages as StoredMessage[];
    out.push(...messages);
    if (!page.hasMore) return out;
    after = messages.at(-1)?.seq ?? after + limit;
  }
}
