/**
 * The cost phase's cases, as data: each case is one action kind, measured alone over `repeat`
 * repetitions (see cost.ts). They run in this order; a case may record what later cases use (the
 * groups it created, the messages it sent) in the world.
 */
import type { BenchClient, Frame } from '../client.ts';

/** What the cases act on, set up once per round (see `costRound`). */
export interface CostWorld extends CostShape {
  /** The two measured users: A acts, B is the peer. */
  readonly a: BenchClient;
  readonly b: BenchClient;
  /** Ids unique to this round. */
  readonly id: (suffix: string) => string;
  /** Other members (connected): 8 of them, and all of them. */
  readonly small: readonly string[];
  readonly large: readonly string[];
  /** A's direct chat with B, and A's large group. */
  readonly direct: string;
  readonly largeGroup: string;
  /** 1 KB of text. */
  readonly text: string;
  readonly repeat: number;
  /** Filled by the cases: groups of 10 created, and messages sent (ids) in the direct chat. */
  readonly groups10: string[];
  readonly sent: string[];
}

/** What labels depend on. */
export interface CostShape {
  /** Members of the large group, A and B included. */
  readonly groupSize: number;
}

export interface CostCase {
  readonly label: (w: CostShape) => string;
  /** The route whose units are booked to this case. */
  readonly routeKey: string;
  /** One repetition (`i` counts from 0); the reply's type tells errors apart. */
  readonly run: (w: CostWorld, i: number) => Promise<Frame | undefined>;
  /** Fewer repetitions than the round's (for slow cases). */
  readonly maxRepeat?: number;
  /**
   * Exactly this many repetitions, whatever the round's: typing is measured over 10 frames, so its
   * average shows the rate limiter's leases (1, 2, 4, 8, then 10 frames per write, rate-leases.ts).
   */
  readonly repeat?: number;
  /** Its name in the cost-per-million-messages table, for the messages priced there. */
  readonly perMillion?: (w: CostShape) => string;
}

const pad3 = (i: number) => String(i).padStart(3, '0');
const label = (text: string) => () => text;

/** Typing frames per measurement (the limiter's leases: lambdas/shared/rate-leases.ts). */
export const TYPING_FRAMES = 10;

/** The label of the case the main per-message target is judged on. */
export const DIRECT_SEND_LABEL = 'sendMessage (1:1, 1 KB, clientMessageId)';

/** Collects the id of what a reply carries (`chat` or `message`) into `into`. */
function keep(into: string[], key: 'chat' | 'message') {
  return (reply: Frame): Frame => {
    const value = reply[key] as { chatId?: string; messageId?: string } | undefined;
    into.push(String(key === 'chat' ? value?.chatId : value?.messageId));
    return reply;
  };
}

export const COST_CASES: readonly CostCase[] = [
  {
    label: label('createChat (direct, new; peer offline)'),
    routeKey: 'createChat',
    run: (w, i) => w.a.request('createChat', { kind: 'direct', userId: w.id(`P${pad3(i)}`) }),
  },
  {
    label: label('createChat (direct, existing)'),
    routeKey: 'createChat',
    run: (w) => w.a.request('createChat', { kind: 'direct', userId: w.b.userId }),
  },
  {
    label: label('createChat (group of 10)'),
    routeKey: 'createChat',
    run: (w) =>
      w.a
        .request('createChat', { kind: 'group', name: 'g10', memberIds: [w.b.userId, ...w.small] })
        .then(keep(w.groups10, 'chat')),
  },
  {
    label: label(DIRECT_SEND_LABEL),
    routeKey: 'sendMessage',
    perMillion: label('1:1, 1 KB, clientMessageId'),
    run: (w, i) =>
      w.a
        .request('sendMessage', { chatId: w.direct, text: w.text, clientMessageId: w.id(`c${i}`) })
        .then(keep(w.sent, 'message')),
  },
  {
    label: label('sendMessage (1:1, duplicate clientMessageId)'),
    routeKey: 'sendMessage',
    run: (w, i) =>
      w.a.request('sendMessage', { chatId: w.direct, text: w.text, clientMessageId: w.id(`c${i}`) }),
  },
  {
    label: label('sendMessage (1:1, 1 KB, no clientMessageId)'),
    routeKey: 'sendMessage',
    run: (w) => w.a.request('sendMessage', { chatId: w.direct, text: w.text }),
  },
  {
    // The same send with the per-user rate limiter off (factor 0; handlers run in this process):
    // the difference to the case above is the limiter's cost per message (issue 17).
    label: label('sendMessage (1:1, 1 KB, no clientMessageId, rate limiter off)'),
    routeKey: 'sendMessage',
    run: (w) => withoutRateLimits(() => w.a.request('sendMessage', { chatId: w.direct, text: w.text })),
  },
  {
    label: label('sendMessage (group of 10, 1 KB)'),
    routeKey: 'sendMessage',
    perMillion: label('group of 10, 1 KB'),
    run: (w, i) =>
      w.a.request('sendMessage', {
        chatId: w.groups10[0],
        text: w.text,
        clientMessageId: w.id(`g${i}`),
      }),
  },
  {
    label: (w) => `sendMessage (group of ${w.groupSize}, 1 KB)`,
    routeKey: 'sendMessage',
    maxRepeat: 3,
    perMillion: (w) => `group of ${w.groupSize}, 1 KB`,
    run: (w, i) =>
      w.a.request('sendMessage', { chatId: w.largeGroup, text: w.text, clientMessageId: w.id(`h${i}`) }),
  },
  {
    label: label('readMessage (moves forward)'),
    routeKey: 'readMessage',
    run: (w, i) => w.b.request('readMessage', { chatId: w.direct, messageId: w.sent[i] }),
  },
  {
    label: label('readMessage (unchanged)'),
    routeKey: 'readMessage',
    run: (w) => w.b.request('readMessage', { chatId: w.direct, messageId: w.sent[0] }),
  },
  {
    label: label('typing (1:1)'),
    routeKey: 'typing',
    repeat: TYPING_FRAMES,
    run: (w) => w.a.request('typing', { chatId: w.direct }),
  },
  {
    label: label('typing (group of 10)'),
    routeKey: 'typing',
    repeat: TYPING_FRAMES,
    run: (w) => w.a.request('typing', { chatId: w.groups10[0] }),
  },
  {
    label: label('history (1:1, default limit)'),
    routeKey: 'history',
    run: (w) => w.a.request('history', { chatId: w.direct }),
  },
  {
    label: label('history (after = last seq - 5)'),
    routeKey: 'history',
    // Two messages per repetition are stored in the direct chat (with and without clientMessageId).
    run: (w) => w.a.request('history', { chatId: w.direct, after: Math.max(1, w.repeat * 2 - 5) }),
  },
  {
    label: label('listChats'),
    routeKey: 'listChats',
    run: (w) => w.b.request('listChats'),
  },
  {
    label: label('getChat (1:1)'),
    routeKey: 'getChat',
    run: (w) => w.a.request('getChat', { chatId: w.direct }),
  },
  {
    label: label('getPresence (10 users)'),
    routeKey: 'getPresence',
    run: (w) => w.a.request('getPresence', { userIds: [w.b.userId, ...w.small.slice(0, 8), w.id('nobody')] }),
  },
  {
    label: label('react (add, 1:1)'),
    routeKey: 'react',
    run: (w, i) => w.b.request('react', { chatId: w.direct, messageId: w.sent[i], emoji: '👍' }),
  },
  {
    label: label('react (remove, 1:1)'),
    routeKey: 'react',
    run: (w, i) =>
      w.b.request('react', { chatId: w.direct, messageId: w.sent[i], emoji: '👍', remove: true }),
  },
  {
    label: label('editMessage (1:1)'),
    routeKey: 'editMessage',
    run: (w, i) =>
      w.a.request('editMessage', {
        chatId: w.direct,
        messageId: w.sent[i],
        text: `${w.text.slice(0, 1000)} edited`,
      }),
  },
  {
    label: label('deleteMessage (1:1)'),
    routeKey: 'deleteMessage',
    run: (w, i) => w.a.request('deleteMessage', { chatId: w.direct, messageId: w.sent[i] }),
  },
  {
    label: label('invite (1 user into a group of 10)'),
    routeKey: 'invite',
    run: (w, i) => w.a.request('invite', { chatId: w.groups10[i], userIds: [w.id('invitee')] }),
  },
  {
    label: label('removeMember (owner removes 1)'),
    routeKey: 'removeMember',
    run: (w, i) => w.a.request('removeMember', { chatId: w.groups10[i], userId: w.id('invitee') }),
  },
  {
    label: label('deleteChat (group of 10)'),
    routeKey: 'deleteChat',
    run: (w, i) => w.a.request('deleteChat', { chatId: w.groups10[i] }),
  },
  {
    label: label('ping'),
    routeKey: 'ping',
    run: (w) => w.a.request('ping'),
  },
];

/** Runs `task` with every per-user rate limit off (`RATE_LIMIT_FACTOR=0`), then restores the factor. */
async function withoutRateLimits<T>(task: () => Promise<T>): Promise<T> {
  const before = process.env.RATE_LIMIT_FACTOR;
  process.env.RATE_LIMIT_FACTOR = '0';
  try {
    return await task();
  } finally {
    if (before === undefined) delete process.env.RATE_LIMIT_FACTOR;
    else process.env.RATE_LIMIT_FACTOR = before;
  }
}
