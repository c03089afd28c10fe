/**
 * The bench's population: N connected users (one socket each) and their chats — 1:1 pairs, groups
 * of 10 and groups of 100 — created through the real `createChat` action.
 */
import { type BenchClient, closeAll, connectAll } from './client.ts';
import type { Ledger } from './ledger.ts';

export type ChatKind = 'direct' | 'group10' | 'group100' | 'group1000';

export interface ChatRef {
  readonly chatId: string;
  /** Member indexes into `World.clients`. */
  readonly members: readonly number[];
}

export class World {
  /** The ledger deliveries are booked to (set per phase). */
  ledger: Ledger | undefined;
  readonly chats: Record<ChatKind, ChatRef[]> = { direct: [], group10: [], group100: [], group1000: [] };

  constructor(readonly clients: readonly BenchClient[]) {
    clients.forEach((client, index) => {
      client.onEvent((frame, at) => {
        if (frame.type !== 'message.created') return;
        const message = frame.message as { clientMessageId?: unknown } | undefined;
        this.ledger?.deliver(index, String(message?.clientMessageId), at);
      });
    });
  }

  static async create(
    url: string,
    users: number,
    runId: string,
    onProgress: (fraction: number, label: string) => void,
  ): Promise<World> {
    const ids = Array.from({ length: users }, (_, i) => `b${runId}-${i}`);
    const clients = await connectAll(url, ids, 16, (done) =>
      onProgress((done / users) * 0.6, `connecting users ${done}/${users}`),
    );
    const world = new World(clients);
    const jobs: { kind: ChatKind; members: number[] }[] = [];
    for (let i = 0; i + 1 < users; i += 2) jobs.push({ kind: 'direct', members: [i, i + 1] });
    for (let i = 0; i + 10 <= users; i += 10) {
      jobs.push({ kind: 'group10', members: Array.from({ length: 10 }, (_, k) => i + k) });
    }
    for (let i = 0; i + 100 <= users; i += 100) {
      jobs.push({ kind: 'group100', members: Array.from({ length: 100 }, (_, k) => i + k) });
    }
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as (typeof jobs)[number];
        const [owner, ...others] = job.members as [number, ...number[]];
        const creator = clients[owner] as BenchClient;
        const reply = await creator.ok(
          'createChat',
          job.kind === 'direct'
            ? { kind: 'direct', userId: ids[others[0] as number] }
            : { kind: 'group', name: `${job.kind} ${owner}`, memberIds: others.map((o) => ids[o]) },
        );
        const chat = reply.chat as { chatId: string };
        world.chats[job.kind].push({ chatId: chat.chatId, members: job.members });
        onProgress(0.6 + (++done / jobs.length) * 0.4, `creating chats ${done}/${jobs.length}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, worker));
    await world.warmUp();
    return world;
  }

  /**
   * The base world's users plus more, up to `size` (one socket each), all in one group created by
   * user 0: the group-of-1,000 phase. Its posts go through the fan-out queue. `close()` closes the
   * added sockets only.
   */
  static async bigGroup(
    base: World,
    url: string,
    runId: string,
    size: number,
    onProgress: (fraction: number, label: string) => void,
  ): Promise<World & { closeExtra(): Promise<void> }> {
    const ids = Array.from(
      { length: size - base.clients.length },
      (_, i) => `b${runId}-${base.clients.length + i}`,
    );
    const extra = await connectAll(url, ids, 16, (done) =>
      onProgress(
        (done / ids.length) * 0.8,
        `connecting ${size - base.clients.length} more users ${done}/${ids.length}`,
      ),
    );
    const world = new World([...base.clients, ...extra]);
    const members = Array.from({ length: size }, (_, i) => i);
    const owner = world.clients[0] as BenchClient;
    onProgress(0.85, `creating a group of ${size}`);
    const reply = await owner.ok('createChat', {
      kind: 'group',
      name: `group of ${size}`,
      memberIds: members.slice(1).map((i) => world.clients[i]?.userId),
    });
    world.chats.group1000.push({ chatId: (reply.chat as { chatId: string }).chatId, members });
    await owner.ok('sendMessage', {
      chatId: (reply.chat as { chatId: string }).chatId,
      text: 'warm-up',
      clientMessageId: 'warm-group1000',
    });
    await new Promise((r) => setTimeout(r, 1000));
    return Object.assign(world, {
      closeExtra: () => Promise.all(extra.map((c) => c.close())).then(() => {}),
    });
  }

  /**
   * One unmeasured message per chat kind, so loading the handler modules (and the first SDK
   * connections) is not part of the first measured phase. Its deliveries go to no ledger.
   */
  async warmUp(): Promise<void> {
    for (const kind of ['direct', 'group10', 'group100'] as const) {
      const chat = this.chats[kind][0];
      if (!chat) continue;
      const sender = this.clients[chat.members[0] as number] as BenchClient;
      await sender.ok('sendMessage', {
        chatId: chat.chatId,
        text: 'warm-up',
        clientMessageId: `warm-${kind}`,
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  async close(): Promise<void> {
    await closeAll(this.clients);
  }
}
