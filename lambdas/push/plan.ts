/**
 * Who gets a push for a new message, and what it says. The candidates are the members of the chat
 * (as of the message at least: never one removed before it, head.ts) other than the sender whose
 * mute is not in force and who have not read that far. For each, one eventually consistent
 * Query tells whether they have an open socket and which devices they have
 * (devices.pushTargets). Members with no open socket and at least one device get one notification
 * per device as stored now (read again consistently before anything is sent: `devicesNow`, a token
 * that changed hands meanwhile is never pushed to its previous user): title = the chat's name
 * (groups) or the sender's name (direct chats), body = a preview, badge = their badge counter plus
 * one (docs/push.md, "Badge": their total unread count when they went offline, plus one a message
 * pushed to them since; one write, whatever the number of chats they are in).
 *
 * In a group where the candidates are many (at least one in 20 members, and two or more), the
 * group's roster is read first (one Query, the sockets the fan-out posts to, about 100 bytes a
 * socket): a candidate it lists is online and needs no Query of their own. The trade-off: a roster
 * entry that outlives its socket (its `$disconnect` could not remove it, or a 410 in another chat
 * removed the connection first) keeps its member from being pushed in that group until a post
 * finds the socket gone (the group's next fan-out: 410, entry removed) or the entry expires; the
 * per-user lookup would have seen the connection record gone.
 *
 * When someone is to be pushed, the message and the chat's `META` are read again (consistently; the
 * push function's push mark beside them): a message deleted, or a chat deleted (or marked for
 * deletion), before its push is processed produces none, and an edit made meanwhile is what the
 * preview shows. When nobody is (every recipient online, say), that read is skipped: the chat head,
 * the roster in a group and one Query per candidate it does not list are all a message costs.
 *
 * A device its app has not registered for `DEVICE_STALE_AFTER_SECONDS` (60 days by default) is past
 * its `expiresAt` and gets nothing, from the moment it passes (by `deps.now`), before DynamoDB's TTL
 * deletes it (up to 48 h later): so the devices of a user whose access ended (they can no longer
 * connect, so their app cannot register) stop receiving their chats' previews (docs/security.md).
 * A device stored before devices had a TTL is live, and gets its window (written once) the first
 * time the planner meets it (devices-now.ts).
 *
 * Two steps: `selectRecipients` (the head, the roster: who needs a lookup) and `planRecipients` (the
 * lookups, the message, the badges). The push function runs both for a message, unless the recipients
 * are more than `pushJobSize`: then it queues them in jobs (jobs.ts) and the push worker runs the
 * second step for each job, so that a group of thousands of offline members neither holds its chat's
 * lane of the stream (a chat's records are processed in order) nor outlasts the function's timeout.
 */
import type { Item } from '../data/item.ts';
import { MESSAGE } from '../data/items.ts';
import type { ChatRecord, ChatStore, DeviceRecord } from '../data/store.ts';
import { isMuted } from '../domain/mute.ts';
import { effectiveReadSeq, unreadCount } from '../domain/views.ts';
import type { Counters } from '../pipeline/metrics.ts';
import { eachLimited } from '../shared/concurrency.ts';
import type { PlannedPush } from './deliver.ts';
import { devicesNow, liveDevices } from './devices-now.ts';
import { headAsOf } from './head.ts';
import { bodyOf, type PushContent } from './payload.ts';

export type { PlannedPush } from './deliver.ts';

/** Recipients looked up at once (sockets and devices, then badges) by default. */
export const PLAN_CONCURRENCY = 16;

export interface PlanDeps {
  readonly store: ChatStore;
  readonly now: () => Date;
  /** Recipients looked up at once. @default PLAN_CONCURRENCY */
  readonly concurrency?: number;
  /**
   * The device window (`PUSH_DEVICE_STALE_DAYS`): a device stored without a TTL gets one this far
   * from when the planner meets it (devices-now.ts). @default DEVICE_STALE_AFTER_SECONDS
   */
  readonly deviceStaleAfterSeconds?: number | undefined;
}

/**
 * The badge of a recipient pushed: their badge counter plus this message (`badges.bump`, one
 * UpdateItem, no read: docs/push.md, "Badge"; nothing added when their last recount, at
 * `$disconnect`, began after the message's allocation and so counted it), and never less than their
 * unread count in the message's chat (`chatUnread`, from the head the planner read), which is exact.
 */
async function badgeOf(
  store: ChatStore,
  userId: string,
  chatUnread: number,
  allocAt?: number,
): Promise<number> {
  return Math.max(await store.badges.bump(userId, allocAt), chatUnread);
}

/**
 * Whether the roster is worth its read: it costs half a read unit per 4 KB, about one unit per 80
 * sockets of 100 bytes (eventually consistent), and each candidate's own lookup half a unit. Read
 * when candidates are at least one in 20 members (and two or more): a roster listing every member
 * (one socket each) then costs at most half of the candidates' own lookups.
 */
export function readsRoster(chat: Pick<ChatRecord, 'kind' | 'memberCount'>, candidates: number): boolean {
  return chat.kind === 'group' && candidates >= 2 && candidates * 20 >= chat.memberCount;
}

/** What every notification of a message says besides its badge; `title` undefined: the sender's name. */
export interface PushMessage {
  readonly chatId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly senderId: string;
  /** The group's name; undefined in a direct chat (the sender's name, read when someone is pushed). */
  readonly title: string | undefined;
  /**
   * Epoch ms when the message's seq allocation was sent (`allocAt`): a badge recount begun after it
   * counted the message already (`badgeOf`). Absent from a job queued before it was carried.
   */
  readonly allocAt?: number | undefined;
}

/** A member to look up: no socket in the roster; `chatUnread` is the message's chat's part of the badge. */
export interface PushRecipient {
  readonly userId: string;
  readonly chatUnread: number;
}

/**
 * The message's recipients who need a lookup of their own (module comment): the members other than
 * the sender, not muted, not caught up, and not listed in the group's roster. Undefined when the chat
 * is gone.
 */
export async function selectRecipients(
  deps: PlanDeps,
  image: Item,
  counters: Counters,
): Promise<{ message: PushMessage; recipients: PushRecipient[] } | undefined> {
  const created = MESSAGE.fromItem(image);
  // Its members as of the message at least: never one removed before it (head.ts).
  const head = await headAsOf(deps.store, created.chatId, created.seq, counters);
  const chat = head.chat;
  // A chat marked for deletion is gone already (its members are being removed).
  if (!chat || chat.deletedAt !== undefined) {
    counters.add('PushSkippedGone');
    return undefined;
  }
  const now = deps.now();
  const candidates = head.members.filter(
    (m) =>
      m.userId !== created.senderId && !isMuted(m.mutedUntil, now) && effectiveReadSeq(chat, m) < created.seq,
  );
  // Members the roster lists are online (module comment); the others may still have a socket it
  // does not list yet (they joined while connecting), so each of them is looked up.
  const listed = readsRoster(chat, candidates.length)
    ? new Set((await deps.store.rosters.list(chat.chatId, { consistent: false })).map((s) => s.userId))
    : undefined;
  const unlisted = listed ? candidates.filter((m) => !listed.has(m.userId)) : candidates;
  counters.add('PushRecipientsChecked', candidates.length);
  counters.add('PushRecipientsLookedUp', unlisted.length);
  const asOf = { lastSeq: created.seq, voidSeqs: chat.voidSeqs };
  return {
    message: {
      chatId: created.chatId,
      messageId: created.messageId,
      seq: created.seq,
      senderId: created.senderId,
      title: chat.kind === 'group' ? (chat.name ?? 'Group') : undefined,
      allocAt: created.allocAt,
    },
    recipients: unlisted.map((m) => ({
      userId: m.userId,
      chatUnread: unreadCount(asOf, effectiveReadSeq(chat, m), m.sentAhead),
    })),
  };
}

/**
 * The notifications for `recipients`: each one's sockets and devices (one Query), and for those with
 * no open socket and a device, the message as it is now (read once, consistently: deleted meanwhile,
 * no push; edited, the new text), the title, and for each their devices as stored now
 * (`devicesNow`: one consistent Query) and, when any is left, their badge (one UpdateItem).
 * `skipIf`: a read run beside the message's, once someone is to be pushed (the push function's push
 * mark, handler.ts); true plans nothing (and counts no badge).
 */
export async function planRecipients(
  deps: PlanDeps,
  message: PushMessage,
  recipients: readonly PushRecipient[],
  counters: Counters,
  options: { readonly skipIf?: () => Promise<boolean> } = {},
): Promise<PlannedPush[]> {
  const { store } = deps;
  const concurrency = deps.concurrency ?? PLAN_CONCURRENCY;
  const offline: { recipient: PushRecipient; devices: DeviceRecord[] }[] = [];
  const now = deps.now();
  await eachLimited(recipients, concurrency, async (recipient) => {
    const targets = await store.devices.pushTargets(recipient.userId);
    const devices = await liveDevices(store, targets.devices, now, counters, deps.deviceStaleAfterSeconds);
    if (!targets.online && devices.length > 0) offline.push({ recipient, devices });
  });
  if (offline.length === 0) return [];

  const [contentOf, skipped] = await Promise.all([
    messageContent(deps, message, counters),
    options.skipIf?.() ?? false,
  ]);
  if (!contentOf || skipped) return [];
  const planned: PlannedPush[] = [];
  await eachLimited(offline, concurrency, async ({ recipient, devices }) => {
    const current = await devicesNow(store, recipient.userId, devices, now, counters);
    // Counted only when something is sent: a recipient whose devices all went adds nothing.
    if (current.length === 0) return;
    const content = contentOf(await badgeOf(store, recipient.userId, recipient.chatUnread, message.allocAt));
    for (const device of current) planned.push({ device, content });
  });
  return planned;
}

/** A deferred notification as its job carries it (jobs.ts `sendsOf`). */
export interface DeferredSend {
  readonly userId: string;
  readonly deviceId: string;
  readonly badge: number;
  readonly tried: number;
}

/**
 * A deferred job's notifications (jobs.ts): each recipient looked up again, since the job may run
 * minutes later (online now, or the device gone, stale, or its token registered by someone else
 * since: not sent, `PushDeferredSkipped`; the devices read again consistently, `devicesNow`, and the token is
 * the one stored now), then the message as it is now.
 */
export async function planDeferred(
  deps: PlanDeps,
  message: PushMessage,
  sends: readonly DeferredSend[],
  counters: Counters,
): Promise<(PlannedPush & { readonly tried: number })[]> {
  const byUser = new Map<string, DeferredSend[]>();
  for (const send of sends) byUser.set(send.userId, [...(byUser.get(send.userId) ?? []), send]);
  const found: { device: DeviceRecord; send: DeferredSend }[] = [];
  const now = deps.now();
  await eachLimited([...byUser.keys()], deps.concurrency ?? PLAN_CONCURRENCY, async (userId) => {
    const targets = await deps.store.devices.pushTargets(userId);
    if (targets.online) return;
    const mine = byUser.get(userId) ?? [];
    const listed = await liveDevices(
      deps.store,
      targets.devices.filter((d) => mine.some((send) => send.deviceId === d.deviceId)),
      now,
      counters,
      deps.deviceStaleAfterSeconds,
    );
    if (listed.length === 0) return;
    const devices = await devicesNow(deps.store, userId, listed, now, counters);
    for (const send of mine) {
      const device = devices.find((d) => d.deviceId === send.deviceId);
      if (device) found.push({ device, send });
    }
  });
  counters.add('PushDeferredSkipped', sends.length - found.length);
  if (found.length === 0) return [];
  const contentOf = await messageContent(deps, message, counters);
  if (!contentOf) return [];
  return found.map(({ device, send }) => ({ device, content: contentOf(send.badge), tried: send.tried }));
}

/**
 * What the message's notifications say, but for each one's badge, from the message as it is now
 * (read once, consistently); undefined when it was deleted meanwhile (`PushSkippedGone`): no push.
 */
export async function messageContent(
  deps: PlanDeps,
  message: PushMessage,
  counters: Counters,
): Promise<((badge: number) => PushContent) | undefined> {
  const { store } = deps;
  // The chat too: a deleted chat's messages stay readable until their TTL runs, and a job or a
  // deferred notification may come minutes after the deletion (or during it: marked, `deletedAt`).
  const [current, chat] = await Promise.all([
    store.messages.get(message.chatId, message.seq, { consistent: true }),
    store.chats.getChat(message.chatId, { consistent: true }),
  ]);
  const chatGone = !chat || chat.deletedAt !== undefined;
  if (chatGone || !current || current.messageId !== message.messageId || current.deleted) {
    counters.add('PushSkippedGone');
    return undefined;
  }
  const title =
    message.title ??
    (await store.profiles.getMany([message.senderId])).get(message.senderId)?.name ??
    message.senderId;
  const body = bodyOf(current);
  const { chatId, messageId, seq, senderId } = message;
  return (badge) => ({ chatId, messageId, seq, senderId, title, body, badge });
}

/** Every notification of a new message, planned in this invocation (no queue): the two steps above. */
export async function planPushes(deps: PlanDeps, image: Item, counters: Counters): Promise<PlannedPush[]> {
  const selected = await selectRecipients(deps, image, counters);
  if (!selected) return [];
  return planRecipients(deps, selected.message, selected.recipients, counters);
}
