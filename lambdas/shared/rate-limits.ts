/**
 * Per-user rate limits (issue 17, item 1), declared in one table and applied by the pipeline
 * (`wsRateLimit` in ws-rate-limit.ts) to every frame of a route, before the frame is parsed or
 * validated (a frame the contract refuses counts too), and decided before the action runs
 * (sendMessage: beside its first round trip, and before anything it writes stays: `limitBeside`):
 * beyond the limit the reply is `RATE_LIMITED` with `retryAfterMs`, and nothing is written but the
 * limiter's lease. Every action has an entry, reads and `ping` included, and `$default` (frames no
 * route matches) has one; an action without an entry would not be limited
 * (test/security/read-limits.test.ts fails then). Adding a limit is one line here (values and
 * costs: docs/security.md).
 *
 * Each limit is a fixed window anchored at the first counted frame: at most `max` frames per
 * `windowSeconds`, counted on one small item per user and action (lambdas/data/rate-limits.ts),
 * so it holds across all of the user's sockets and every function instance.
 *
 * A function instance leases up to `lease` frames of the window in one conditional write and spends
 * them from memory (rate-leases.ts; its first lease of a window is 1 frame, doubling up to `lease`):
 * about 1/`lease` write per frame for frequent actions; rare,
 * expensive actions lease 1 (one write per frame, no frame of the window left unused elsewhere).
 */
import { readingEnv } from './env-use.ts';
import { textBytesPerDay } from './user-caps.ts';
export interface RateLimit {
  /** Frames allowed per window. */
  readonly max: number;
  readonly windowSeconds: number;
  /** The most frames one instance leases at once (K); fewer near the limit (rate-leases.ts). */
  readonly lease: number;
  /**
   * The read units one frame may use (the expensive reads, and the writes whose reads grow with
   * the request or the chat: below). A frame that reads more counts as
   * `ceil(units / unitsPerFrame)` frames (the rest charged after it ran: rate-limiter.ts
   * `chargeReads`; a write that ran is never undone, the debt refuses later frames), so the action
   * makes the table read at most about `max × unitsPerFrame` units a window for one user, whatever
   * its frames read. Without it, a frame counts one whatever it reads.
   */
  readonly unitsPerFrame?: number;
  /**
   * The members one frame may reach (a message's audience: sendMessage, and scheduleMessage for the
   * send it makes at its time). A frame into a chat of more members counts as
   * `ceil(members / membersPerFrame)` frames (the rest charged after it was stored, as for
   * `unitsPerFrame`: rate-limiter.ts `chargeAudience`), so one user's messages reach at most about
   * `max × membersPerFrame` members a window (posts, fan-out jobs, pushes), whatever the chat.
   */
  readonly membersPerFrame?: number;
  /**
   * The bytes the action's frames may store in a UTC day (`TEXT_MB_PER_DAY`: sendMessage's and
   * scheduleMessage's text, each counted as `storedTextBytes` in rate-limiter.ts), kept by the lease
   * write itself (rate-leases.ts). Past it the action is refused until 00:00 UTC. Set by
   * `rateLimitOf` for the actions the table marks `storesText`.
   */
  readonly bytesPerDay?: number;
}

/** An entry of the table: a limit, and whether the action's text counts against the day's budget. */
type Declared = RateLimit & { readonly storesText?: true };

/**
 * The limit (and route key) of frames no route matches: not JSON, no `action`, an unknown one
 * (`wsUnmatched` in ws-middleware.ts).
 */
export const UNMATCHED = '$default';

const perMinute = (max: number, lease = 1, unitsPerFrame?: number): RateLimit => ({
  max,
  windowSeconds: 60,
  lease,
  ...(unitsPerFrame ? { unitsPerFrame } : {}),
});
/** A limit whose frames count by the members they reach (`membersPerFrame`). */
const byAudience = (limit: RateLimit, membersPerFrame: number): RateLimit => ({ ...limit, membersPerFrame });
/**
 * The members a message frame reaches before it counts as more than one: a direct chat and a group
 * of at most 200 (the busy-group bench's 20) count one, a group of 1,000 (the cap) five
 * (docs/security.md, "Messages count by their audience").
 */
const AUDIENCE_PER_FRAME = 200;
/** Frequent, cheap actions: a lease of 10 frames per write. */
const FREQUENT = 10;

export const RATE_LIMITS: Readonly<Partial<Record<string, Declared>>> = {
  // A reconnecting client flushes its outbox at once: room for a burst, not for a bot. Not metered
  // (its hot path does no extra work): what a frame reads (its group's roster and head) grows with
  // the group, and so do its frames: ~55 R a frame at most in a group of 200 (300 a minute), ~275 R
  // in one of 1,000 at 10,000 sockets (60 a minute), ~17,000 R a minute either way (~74,000 before
  // the audience charge). Counted by its audience (`membersPerFrame`: the chat head's member count, no read): each message
  // is posted to every member's sockets, queued as fan-out jobs (one per 200 sockets) and pushed to
  // every offline member. Counted one frame whatever it reached, a member of a group of 1,000 made
  // ~300,000 deliveries a minute (and ~460,000 R of the push pipeline), keeping the deployment's
  // fan-out and push workers busy for everyone; now at most ~60,000 (a group of 1,000: 60 sends a
  // minute; of at most 200: 300, as before).
  // What it stores is budgeted by the day (`storesText`): 300 a minute of 4,000 four-byte
  // characters would be ~7 GB a day, kept while the chat lives (docs/security.md).
  sendMessage: { ...byAudience(perMinute(300, FREQUENT), AUDIENCE_PER_FRAME), storesText: true },
  // Writes whose reads grow with the request or the chat count by what they read too (the third
  // argument, as for the reads below): `createChat` and `invite` check each member they add (the
  // membership cap's count of that member's chats, ~14 R for one in 900; their block item; their
  // profile: a group of 1,000 ~15,500 R at worst), and a group's events read its roster (~210 R at
  // 10,000 sockets), some its member list too (~30 R at 1,000). Counted one frame each, a user
  // creating full groups made the table read ~310,000 units a minute. An ordinary frame of each
  // counts one; these seven make the table read at most ~42,000 units a minute together, ~45,000
  // with readMessage's below (docs/security.md "Reads are limited too").
  editMessage: perMinute(60, 1, 100),
  deleteMessage: perMinute(60, 1, 100),
  // Clients send typing every few seconds while typing, per chat.
  typing: perMinute(60, FREQUENT),
  createChat: perMinute(20, 1, 250),
  invite: perMinute(20, 1, 250),
  removeMember: perMinute(30, 1, 100),
  deleteChat: perMinute(20, 1, 250),
  // Counted by what it reads (the third argument): a frame reads the message strongly consistently
  // (the cursor moves to its seq), also when the cursor does not move: ~1–4 R for a message of up to
  // 13 KB of text, ~17 for one of ~70 KB with a full reaction summary; the membership and META (2),
  // a big group's members on a container's first call (~30), the reader's block list (≤ 25, ≤ ~120
  // one from before the cap). An ordinary frame (≤ ~6 R) counts one; a loop over a 70 KB message
  // (~19 R) counts 2 a frame, and the limit bounds what one user makes the table read to ~3,000 R a
  // minute (before: uncharged, ~6,000 R a minute over one such message, ~40,000 with a long list).
  readMessage: perMinute(300, FREQUENT, 10),
  markDelivered: perMinute(300, FREQUENT),
  requestUpload: perMinute(30),
  // The 100-pending cap bounds what is stored; this bounds the churn (schedule, cancel, schedule…).
  // Counted by the audience its send will reach at its time, as sendMessage (the dispatcher posts to
  // the same members): a group of 1,000, 24 a minute.
  scheduleMessage: { ...byAudience(perMinute(120), AUDIENCE_PER_FRAME), storesText: true },
  cancelScheduled: perMinute(120),
  react: perMinute(120, 5, 100),
  reportMessage: perMinute(10),
  registerDevice: perMinute(10),
  unregisterDevice: perMinute(10),
  blockUser: perMinute(30),
  unblockUser: perMinute(30),
  muteChat: perMinute(30),
  // Administrators offboarding users: each call writes up to ~120 transactions (schedules, devices).
  deactivateUser: perMinute(30),
  reactivateUser: perMinute(30),
  // Deleting an account, as deactivateUser (each call up to ~120 transactions, and a job on the
  // retention queue): the user's own (once, but a repeat finishes a failed one), an administrator's.
  deleteAccount: perMinute(30),
  deleteUser: perMinute(30),
  // Reads. A reconnecting client catches up with listChats (every page: 10–20 at the membership cap
  // of 1,000 chats), then sync (or history) per chat that moved, a few pages at most each: a client
  // in 1,000 chats that all moved by a few messages each still catches up within one window of sync.
  // What a frame reads varies a hundredfold (a sync page of 101 messages of 4,000 characters: ~410
  // units; of a few short ones: ~2–5), so the reads whose cost grows with what they read count by
  // it (`unitsPerFrame`, the third argument: a frame reading more counts as several), and the
  // limits bound what one user can make the table read, a minute: sync ~30,000 units, history
  // ~15,000, getPresence ~12,000, listChats ~18,000, listScheduled ~6,000, listBlocked ~3,000 (with
  // the small fixed reads ~95,000: docs/security.md "Reads are limited too"). A listing's first listChats page reads every META of the caller's chats
  // (~1,260 units at the cap: 5 frames), its next pages only their own (~250: 1 frame, the order kept
  // by the container: lambdas/domain/chat-listings.ts), so the catch-ups of two clients of one user
  // at the cap (10 pages each: 14 frames) fit a window; it leases 1 (one write per call, exact); the
  // others are frequent: a lease of 10.
  listChats: perMinute(60, 1, 300),
  getChat: perMinute(120, 5),
  sync: perMinute(1200, FREQUENT, 25),
  history: perMinute(600, FREQUENT, 25),
  getPresence: perMinute(120, FREQUENT, 100),
  // A chat screen full of attachments asks for each expired URL.
  getAttachmentUrl: perMinute(600, FREQUENT),
  listScheduled: perMinute(60, 5, 100),
  // Without a limit it reads the whole list (1,000 at the cap: ~40 units with ids of ~30 characters,
  // ~150 with ids of 64 four-byte characters, the reply cut by size): metered like the others.
  listBlocked: perMinute(60, 5, 50),
  listReports: perMinute(60, 5),
  // Keep-alive: one every few minutes; generous, so that no client is ever refused it.
  ping: perMinute(300, FREQUENT),
  // Frames no route matches (not JSON, no action, an unknown one): a client that is up to date sends
  // none; one newer than the server may meet an action it lacks now and then.
  [UNMATCHED]: perMinute(60, FREQUENT),
  // Handshakes: each stores the socket, its count and roster entries and may announce presence; every
  // `$disconnect` follows a `$connect`, so this bounds both. A reconnecting client backs off (the
  // client package: 0.5 s doubling to 30 s), far below one a second. Refused with HTTP 429.
  $connect: perMinute(60),
};

/**
 * `RATE_LIMIT_FACTOR` scales every limit (benchmarks), the daily text budget too; 0 turns them off.
 * Default 1.
 */
export const RATE_LIMIT_FACTOR_ENV = 'RATE_LIMIT_FACTOR';

/**
 * `RATE_LIMIT_WINDOW_SECONDS` shortens every window to that many whole seconds, at least 5
 * (`MIN_WINDOW_SECONDS`; never lengthens one): tests that wait out a window
 * (test/client/e2e-rate-limits.test.ts). Unset on AWS: the windows of the table above. It shortens
 * the `$connect` window, and with it the flood guard's hold of a flooding user's handshakes.
 */
export const RATE_LIMIT_WINDOW_ENV = 'RATE_LIMIT_WINDOW_SECONDS';
/**
 * The shortest window `RATE_LIMIT_WINDOW_SECONDS` may set (shorter: ignored). Above the flood
 * guard's grace (flood-guard.ts `FLOOD_GRACE_MS`, 3 s): a refusal asks for a wait of at most one
 * window, and the guard counts only frames sent after the grace and within that wait, so a window
 * of 1-3 s would leave it nothing to count.
 */
export const MIN_WINDOW_SECONDS = 5;

/**
 * The window under `RATE_LIMIT_WINDOW_SECONDS`: at most the declared one; a value not an integer of
 * at least `MIN_WINDOW_SECONDS` is ignored.
 */
function windowOf(declared: number, raw: string | undefined): number {
  const seconds = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isInteger(seconds) && seconds >= MIN_WINDOW_SECONDS ? Math.min(declared, seconds) : declared;
}

/**
 * The limit of `action` under the factor and the window in the environment, or undefined when it
 * is not limited.
 */
export function rateLimitOf(action: string, env: NodeJS.ProcessEnv = readingEnv()): RateLimit | undefined {
  const declared = RATE_LIMITS[action];
  if (!declared) return undefined;
  const { storesText, ...rest } = declared;
  const limit: RateLimit = storesText ? { ...rest, bytesPerDay: textBytesPerDay(env) } : rest;
  const windowSeconds = windowOf(limit.windowSeconds, env[RATE_LIMIT_WINDOW_ENV]);
  const raw = env[RATE_LIMIT_FACTOR_ENV];
  const factor = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(factor) || factor < 0) return { ...limit, windowSeconds };
  if (factor === 0) return undefined;
  const scaled = (n: number) => Math.max(1, Math.round(n * factor));
  const bytes = limit.bytesPerDay === undefined ? {} : { bytesPerDay: scaled(limit.bytesPerDay) };
  return { ...limit, windowSeconds, max: scaled(limit.max), ...bytes };
}
