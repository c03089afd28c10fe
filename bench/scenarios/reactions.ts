/**
 * The cost of a reaction (`npm run bench -- --only reactions`): DynamoDB units and posts per `react`,
 * adding and removing, on a message with no reactions and on messages that already carry 300 (all on
 * one emoji, and spread over the 20 allowed emoji: the biggest summary 300 reactions can make). The
 * cost must not grow with the reactions already there (reactions.ts keeps the summary bounded).
 *
 * Everything happens in one group, so that every case posts to the same sockets: A (sends the
 * messages), B and `repeat` reactors are connected; 300 more members never connect and only seed the
 * loaded messages, through the domain's own `react` outside any handler (unmetered: the meter books
 * calls outside a handler to no route). The cases are data, like the cost phase's (cost-cases.ts).
 */
import { deps } from '../../lambdas/domain/deps.ts';
import { react } from '../../lambdas/domain/reactions.ts';
import type { BenchClient, Frame } from '../client.ts';
import { closeAll, connectAll } from '../client.ts';
import type { BenchStack } from '../stack.ts';
import { type ActionCost, measure } from './measure.ts';

/** Reactions already on a loaded message. */
export const LOADED_REACTIONS = 300;
const DISTINCT = 20;
/** Twenty emoji: the most a message may carry. */
const EMOJI = Array.from({ length: DISTINCT }, (_, i) => String.fromCodePoint(0x1f600 + i));
const THUMB = '👍';

interface ReactionWorld {
  readonly chatId: string;
  readonly b: BenchClient;
  readonly reactors: readonly BenchClient[];
  /** One fresh message per repetition (no reactions). */
  readonly fresh: readonly string[];
  /** 300 reactions on one emoji (THUMB), and 300 over twenty emoji (EMOJI[0] among them). */
  readonly oneEmoji: string;
  readonly twentyEmoji: string;
}

interface ReactionCase {
  readonly label: string;
  readonly run: (w: ReactionWorld, i: number) => Promise<Frame>;
}

const reactBy = (c: BenchClient, chatId: string, messageId: string, emoji: string, remove = false) =>
  c.request('react', { chatId, messageId, emoji, ...(remove ? { remove: true } : {}) });

/** In this order: each case leaves what the next one acts on. */
export const REACTION_CASES: readonly ReactionCase[] = [
  {
    label: 'react (add; message with 0 reactions)',
    run: (w, i) => reactBy(w.b, w.chatId, w.fresh[i] as string, THUMB),
  },
  {
    label: 'react (add again: already there, no change)',
    run: (w, i) => reactBy(w.b, w.chatId, w.fresh[i] as string, THUMB),
  },
  {
    label: 'react (remove; the only reaction)',
    run: (w, i) => reactBy(w.b, w.chatId, w.fresh[i] as string, THUMB, true),
  },
  {
    label: `react (add; ${LOADED_REACTIONS} reactions on one emoji)`,
    run: (w, i) => reactBy(w.reactors[i] as BenchClient, w.chatId, w.oneEmoji, THUMB),
  },
  {
    label: `react (remove; ${LOADED_REACTIONS} reactions on one emoji)`,
    run: (w, i) => reactBy(w.reactors[i] as BenchClient, w.chatId, w.oneEmoji, THUMB, true),
  },
  {
    label: `react (add; ${LOADED_REACTIONS} reactions over ${DISTINCT} emoji)`,
    run: (w, i) => reactBy(w.reactors[i] as BenchClient, w.chatId, w.twentyEmoji, EMOJI[0] as string),
  },
  {
    label: `react (remove; ${LOADED_REACTIONS} reactions over ${DISTINCT} emoji)`,
    run: (w, i) => reactBy(w.reactors[i] as BenchClient, w.chatId, w.twentyEmoji, EMOJI[0] as string, true),
  },
];

async function ack(client: BenchClient, action: string, fields: Record<string, unknown>): Promise<Frame> {
  const reply = await client.request(action, fields, { timeoutMs: 60_000 });
  if (reply.type !== 'ack') throw new Error(`${action}: ${JSON.stringify(reply)}`);
  return reply;
}

/**
 * Puts `LOADED_REACTIONS` reactions of the seed members on a message, one at a time (parallel ones
 * race for the message's version, which is what the e2e burst tests; here it would only slow seeding).
 */
async function load(
  chatId: string,
  messageId: string,
  seeds: readonly string[],
  emojiOf: (i: number) => string,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < LOADED_REACTIONS) {
      const i = next++;
      const userId = seeds[i % seeds.length] as string;
      await react(deps(), { userId, name: userId }, { chatId, messageId, emoji: emojiOf(i), remove: false });
    }
  };
  await worker();
}

/** The reaction cases' costs; undefined when the handlers run elsewhere (nothing to meter). */
export async function reactionCost(
  stack: BenchStack,
  options: { repeat: number; prefix: string },
  onTick: (f: number, label: string) => void,
): Promise<ActionCost[] | undefined> {
  const { meter } = stack;
  if (!meter) return undefined;
  meter.exactTransactions = true;
  const { repeat, prefix } = options;
  const id = (s: string) => `${prefix}-${s}`;
  const clients = await connectAll(
    stack.url,
    [id('A'), id('B'), ...Array.from({ length: repeat }, (_, i) => id(`R${i}`))],
    8,
  );
  try {
    const [a, b, ...reactors] = clients as [BenchClient, BenchClient, ...BenchClient[]];
    const seeds = Array.from({ length: LOADED_REACTIONS }, (_, i) => id(`S${i}`));
    const created = await ack(a, 'createChat', {
      kind: 'group',
      name: 'reactions',
      memberIds: [b.userId, ...reactors.map((r) => r.userId), ...seeds],
    });
    const chatId = String((created.chat as { chatId: string }).chatId);
    const send = async (text: string) =>
      String(((await ack(a, 'sendMessage', { chatId, text })).message as { messageId: string }).messageId);
    const fresh: string[] = [];
    for (let i = 0; i < repeat; i++) fresh.push(await send(`fresh ${i}`));
    const oneEmoji = await send('three hundred thumbs');
    const twentyEmoji = await send('three hundred over twenty emoji');
    onTick(0.1, `reactions: seeding ${LOADED_REACTIONS * 2} reactions`);
    // 300 users on one emoji; 15 users on each of 20 emoji (the summary lists up to 20 ids per emoji).
    await load(chatId, oneEmoji, seeds, () => THUMB);
    await load(chatId, twentyEmoji, seeds, (i) => EMOJI[i % DISTINCT] as string);
    const world: ReactionWorld = { chatId, b, reactors, fresh, oneEmoji, twentyEmoji };
    const out: ActionCost[] = [];
    for (const [n, c] of REACTION_CASES.entries()) {
      onTick(0.5 + (0.5 * n) / REACTION_CASES.length, `reactions: ${c.label}`);
      out.push(await measure({ stack, meter, repeat, prefix }, c.label, 'react', (i) => c.run(world, i)));
    }
    return out;
  } finally {
    await closeAll(clients);
  }
}

/** The report's section (bench/report.ts). */
export function renderReactions(
  reactions: readonly ActionCost[],
  table: (h: string[], rows: (string | number)[][]) => string,
): string {
  const commands = (c: ActionCost) =>
    Object.entries(c.commands)
      .map(([k, v]) => `${k}×${v.calls} ${v.read ? `${v.read}R` : ''}${v.write ? `${v.write}W` : ''}`)
      .join(', ');
  return [
    '\n### Reactions (DynamoDB units per react; transactional writes at 2x)\n',
    table(
      ['react', 'n', 'read', 'write', 'total', 'posts', 'handler ms', 'commands per react'],
      reactions.map((c) => [
        c.label + (c.errors ? ` (${c.errors} errors!)` : ''),
        c.repetitions,
        c.read,
        c.write,
        c.total,
        c.posts,
        c.handlerMs,
        commands(c),
      ]),
    ),
  ].join('\n');
}
