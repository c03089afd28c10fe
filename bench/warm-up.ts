/**
 * An unmeasured warm-up of the whole stack before anything is timed.
 *
 * DynamoDB Local is a JVM: its first few thousand calls run interpreted or lightly compiled. On this
 * machine a GetItem takes about 4 ms over the first thousand calls and 1.2 ms after five thousand,
 * and a 1:1 send's calls took 6–9 ms each in a run of 200 sends against 3.5–5.5 ms after 1,500. The
 * DynamoDB that AWS runs is never cold in that sense, so the floor and every latency phase are
 * measured after the same warm-up: the send path (1:1 and a group of 10, each send acked) through
 * the stack, from senders of its own that the world never uses.
 */
import { type BenchClient, closeAll, connectAll } from './client.ts';
import { messageText } from './load.ts';

export interface WarmUpResult {
  readonly sends: number;
  readonly seconds: number;
  /** Sends that did not get an ack (a warm-up is not a test, but the count is reported). */
  readonly failed: number;
}

export async function warmUp(
  url: string,
  options: { readonly sends: number; readonly runId: string; readonly textChars: number },
  onTick: (fraction: number) => void,
): Promise<WarmUpResult> {
  const started = performance.now();
  const ids = Array.from({ length: 10 }, (_, i) => `warm${options.runId}-${i}`);
  const clients = await connectAll(url, ids, 10);
  let failed = 0;
  try {
    const [owner, ...others] = clients as [BenchClient, ...BenchClient[]];
    const group = await owner.ok('createChat', {
      kind: 'group',
      name: 'warm-up',
      memberIds: others.map((c) => c.userId),
    });
    const chats: { sender: BenchClient; chatId: string }[] = [];
    for (let i = 0; i < clients.length; i += 2) {
      const [a, b] = [clients[i] as BenchClient, clients[i + 1] as BenchClient];
      const direct = await a.ok('createChat', { kind: 'direct', userId: b.userId });
      const directId = (direct.chat as { chatId: string }).chatId;
      chats.push({ sender: a, chatId: directId }, { sender: b, chatId: directId });
    }
    const groupId = (group.chat as { chatId: string }).chatId;
    const text = messageText(options.textChars);
    let next = 0;
    // One sender per client, each waiting for its ack: every third send goes to the group.
    const worker = async (w: number) => {
      const { sender, chatId: directId } = chats[w] as (typeof chats)[number];
      while (next < options.sends) {
        const n = next++;
        const chatId = n % 3 === 2 ? groupId : directId;
        const reply = await sender.request('sendMessage', { chatId, text, clientMessageId: `w-${n}` });
        if (reply.type !== 'ack') failed++;
        if (n % 50 === 0) onTick(n / options.sends);
      }
    };
    await Promise.all(chats.map((_, w) => worker(w)));
  } finally {
    await closeAll(clients);
  }
  onTick(1);
  return { sends: options.sends, seconds: (performance.now() - started) / 1000, failed };
}
