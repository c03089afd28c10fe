/**
 * Chaos soak of the client (issue 10). Several clients (four users, one of them on two devices) in
 * a group and two direct chats send SOAK_MESSAGES messages (default 2,000; at most SOAK_SECONDS of
 * sending, default 100, so a slow machine sends fewer and the run stays near two minutes) and also
 * edit, delete, react (once the server has it) through the client's outbox, read, and change
 * membership and settings (support/settings-mix.ts), while:
 *   - sockets are closed by the server (Management API DeleteConnection),
 *   - sockets vanish without a close frame (the gateway drops them; a phone losing its network),
 *   - sockets are cut abruptly from the client side (TCP drop),
 *   - every socket gets a 1001 from the gateway's connection limit (shortened to SOAK_SOCKET_MS),
 *   - DynamoDB Local stops and starts again once (its own instance, data in a temp folder).
 * Afterwards every client's copy of every chat equals the server's `history` exactly: no message
 * lost, duplicated, out of order or stale, and every send stored exactly once. The app heard each
 * version of each message once. Every client's read state and chat list (support/read-state.ts)
 * equal the server's; every scheduled message not cancelled went out once. Figures are printed.
 *
 * Catching up is the server's `sync` (changes made while a client was away included): all is compared.
 *
 * Not part of `npm test` (about two minutes, and its own DynamoDB Local; vitest.config.ts leaves it
 * out unless CLIENT_SOAK is set): `npm run soak`, or longer with
 *   CLIENT_SOAK=1 SOAK_MESSAGES=5000 SOAK_SECONDS=600 SOAK_SOCKET_MS=8000 npx vitest run test/client/soak.test.ts
 *   (SOAK_KILL_EVERY_MS: mean pause between kills, default 2000; SOAK_VERBOSE=1: progress)
 *
 * About 300 lines on purpose: the run's one timeline (set-up, chaos, drain, the end checks in order);
 * the action mix and the checks themselves live in support/ (workload, settings-mix, schedules,
 * read-state).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chat, ChatClient, Message } from '../../client/src/index.ts';
import { type DynamoLocal, startDynamoLocal } from '../../local/dynamodb.ts';
import { eventually, sleep } from '../support/client.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';
import { clientFor, connectionIds, SERVER_HAS, serverHistory, settled, socketFamily } from './support/e2e.ts';
import { readStateDiffs } from './support/read-state.ts';
import { SettingsMix } from './support/settings-mix.ts';
import { Workload } from './support/workload.ts';

const MESSAGES = Number(process.env.SOAK_MESSAGES ?? 2000);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 100);
const SOCKET_MS = Number(process.env.SOAK_SOCKET_MS ?? 20_000);
/** Mean pause between two socket kills. */
const KILL_EVERY_MS = Number(process.env.SOAK_KILL_EVERY_MS ?? 2000);

let dir: string;
let port: number;
let dynamo: DynamoLocal | undefined;
let restarting: Promise<DynamoLocal> | undefined;
let stack: TestStack;
const clients: ChatClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'client-soak-'));
  // A free port picked by the start itself (picked again should another process take it first);
  // the restart reuses it.
  dynamo = await startDynamoLocal({ dbPath: dir });
  port = dynamo.port;
  stack = await startTestStack({
    dynamoEndpoint: dynamo.endpoint,
    limits: { maxConnectionMs: SOCKET_MS },
    // A few users send thousands of messages in under two minutes: far above the per-user limits
    // (issue 17), which would only answer RATE_LIMITED here. The limiter still runs (and writes).
    env: { RATE_LIMIT_FACTOR: '100' },
  });
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  try {
    await stack?.stop();
  } finally {
    // Also a DynamoDB Local still starting when the test ended (never left running).
    await (dynamo ?? (await restarting?.catch(() => undefined)))?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** What must match between a client and the server: all of a message. */
function view(m: Message) {
  return {
    seq: m.seq,
    messageId: m.messageId,
    senderId: m.senderId,
    clientMessageId: m.clientMessageId,
    ver: m.ver,
    text: m.text,
    deleted: m.deleted,
    editedAt: m.editedAt,
    reactions: m.reactions,
  };
}

/** A group (createChat is not idempotent: after a lost reply, look for it before creating again). */
async function createGroup(client: ChatClient, memberIds: string[]): Promise<Chat> {
  const name = uniqueId('soak');
  for (let attempt = 0; ; attempt++) {
    try {
      return (await client.request('createChat', { kind: 'group', name, memberIds })).chat;
    } catch (error) {
      if (attempt >= 5) throw error;
      const { chats } = await client.request('listChats', {}, { retries: 5 });
      const made = chats.find((c) => c.name === name);
      if (made) return (await client.request('getChat', { chatId: made.chatId }, { retries: 5 })).chat;
    }
  }
}

describe('client chaos soak', () => {
  it(
    `${MESSAGES} messages with edits and deletes through random socket kills, 1001s and a DynamoDB restart`,
    async () => {
      const started = Date.now();
      const users = ['ana', 'ben', 'cyd', 'dan'].map((u) => uniqueId(`soak-${u}`));
      const [u0, u1, u2, u3] = users as [string, string, string, string];
      const devices = [u0, u1, u2, u3, u0];
      const families = devices.map(() => socketFamily());
      for (const [i, userId] of devices.entries()) {
        clients.push(
          clientFor(stack, userId, {
            WebSocket: (families[i] as ReturnType<typeof socketFamily>).WebSocket,
            backoffMaxMs: 3000,
            gapMs: 1500,
            // A busy machine makes the local stack slow: a timeout would only add resends.
            requestTimeoutMs: 30_000,
          }),
        );
      }
      const [c0, , , c3] = clients as [ChatClient, ChatClient, ChatClient, ChatClient, ChatClient];
      await Promise.all(clients.map((c) => settled(c, 60_000)));
      const reply = { retries: 5 } as const;
      const group = await createGroup(c0, [u1, u2, u3]);
      const d01 = (await c0.request('createChat', { kind: 'direct', userId: u1 }, reply)).chat;
      const d23 = (await c3.request('createChat', { kind: 'direct', userId: u2 }, reply)).chat;
      const chatsOf = (userId: string) =>
        [group, d01, d23].filter((c) => c.members.some((m) => m.userId === userId)).map((c) => c.chatId);
      await Promise.all(
        clients.map((c, i) =>
          eventually(() => chatsOf(devices[i] as string).every((id) => c.chat(id)), 60_000),
        ),
      );
      const lastHeard: number[] = [];
      for (const [i, c] of clients.entries()) {
        c.on('messages', () => (lastHeard[i] = Date.now()));
        c.on('chat', ({ chatId, chat }) => {
          if (chat === null) process.stdout.write(`client chaos soak: client ${i} dropped chat ${chatId}\n`);
        });
      }
      // Forced 1001s, counted from the clients' state changes.
      let forced1001 = 0;
      for (const [i, c] of clients.entries()) {
        c.on('state', (s) => {
          if (s.code === 1001) forced1001++;
          if (process.env.SOAK_VERBOSE) {
            process.stdout.write(`soak: ${new Date().toISOString()} client ${i} ${JSON.stringify(s)}\n`);
          }
        });
      }

      const sendingFrom = Date.now();
      const deadline = sendingFrom + SECONDS * 1000;
      const mix = new SettingsMix(clients, group, [d01, d23], chatsOf);
      const workload = new Workload(clients, devices.map(chatsOf), {
        messages: MESSAGES,
        react: SERVER_HAS.react,
        deadline,
        mix,
      });
      const chaos = { serverClose: 0, vanish: 0, clientDrop: 0, dynamoRestartMs: 0 };
      let running = true;
      const chaosLoop = (async () => {
        let restarted = false;
        while (running) {
          await sleep(KILL_EVERY_MS * (0.5 + Math.random()));
          if (!running) break;
          const share = Math.max(
            workload.acked / MESSAGES,
            (Date.now() - sendingFrom) / (deadline - sendingFrom),
          );
          if (!restarted && share >= 0.4) {
            restarted = true;
            const t0 = Date.now();
            await dynamo?.stop();
            dynamo = undefined;
            await sleep(1000);
            restarting = startDynamoLocal({ port, dbPath: dir });
            dynamo = await restarting;
            chaos.dynamoRestartMs = Date.now() - t0;
            continue;
          }
          const ids = stack.gateway.connectionIds;
          const victim = ids[Math.floor(Math.random() * ids.length)];
          const roll = Math.random();
          if (roll < 0.4 && victim) {
            chaos.serverClose++;
            await fetch(`${stack.managementEndpoint}/@connections/${encodeURIComponent(victim)}`, {
              method: 'DELETE',
            }).catch(() => undefined);
          } else if (roll < 0.7 && victim) {
            chaos.vanish++;
            stack.gateway.vanish(victim);
          } else {
            const open = families.flatMap((f) => [...f.open]);
            const socket = open[Math.floor(Math.random() * open.length)];
            if (socket) {
              chaos.clientDrop++;
              socket.ws.terminate();
            }
          }
        }
      })();

      const progress = setInterval(() => {
        if (!process.env.SOAK_VERBOSE) return;
        const states = clients.map((c) => `${c.state[0]}${c.pending().length}`).join(' ');
        process.stdout.write(`soak: ${workload.acked} acked, ${JSON.stringify(chaos)}, clients ${states}\n`);
      }, 5000);
      await workload.run().finally(() => clearInterval(progress));
      await mix.done();
      running = false;
      await chaosLoop;
      expect(chaos.dynamoRestartMs, 'DynamoDB Local was restarted once').toBeGreaterThan(0);
      await Promise.all(clients.map((c) => settled(c, 90_000)));
      // A socket whose connection record the server deleted while it was still connecting (a fan-out
      // got 410 during its $connect: a server bug, see the e2e test "KNOWN SERVER BUG") gets no more
      // events until it reconnects, and no client can tell. Such sockets are found and cut here, so
      // that the check below is about the client; they are counted in the figures.
      let deafSockets = 0;
      for (let round = 0; round < 3; round++) {
        let found = 0;
        for (const userId of users) {
          const open = devices.flatMap((d, i) => (d === userId ? [...(families[i]?.open ?? [])] : []));
          if ((await connectionIds(stack, userId)).length >= open.length) continue;
          found++;
          for (const socket of open) socket.ws.terminate();
        }
        if (found === 0) break;
        deafSockets += found;
        await Promise.all(clients.map((c) => settled(c, 90_000)));
      }

      // Every client's copy equals the server's history, exactly (the last events may still be landing).
      const truth = new Map<string, Message[]>();
      const reader = (chatId: string) => (chatId === d23.chatId ? c3 : c0);
      await eventually(async () => {
        for (const chatId of [group.chatId, d01.chatId, d23.chatId]) {
          truth.set(chatId, await serverHistory(reader(chatId), chatId));
        }
        return clients.every((c, i) =>
          chatsOf(devices[i] as string).every(
            (chatId) =>
              JSON.stringify(c.messages(chatId).map((m) => view(m))) ===
              JSON.stringify((truth.get(chatId) ?? []).map((m) => view(m))),
          ),
        );
      }, 15_000).catch(() => undefined);
      for (const [i, c] of clients.entries()) {
        const behind = chatsOf(devices[i] as string).filter(
          (chatId) => c.messages(chatId).length !== (truth.get(chatId) ?? []).length,
        );
        if (behind.length === 0) continue;
        const diagnosis = {
          client: i,
          state: c.state,
          openSockets: families[i]?.open.size,
          tableConnections: await connectionIds(stack, devices[i] as string),
          lastHeard: new Date(lastHeard[i] ?? 0).toISOString(),
          chats: behind.map((chatId) => ({
            ...c.chat(chatId),
            members: undefined,
            held: c.messages(chatId).length,
          })),
          stats: c.stats,
        };
        process.stdout.write(`client chaos soak: behind ${JSON.stringify(diagnosis)}\n`);
      }
      for (const [i, c] of clients.entries()) {
        for (const chatId of chatsOf(devices[i] as string)) {
          const server = truth.get(chatId) ?? [];
          expect(
            c.messages(chatId).map((m) => view(m)),
            `client ${i}, chat ${chatId}`,
          ).toEqual(server.map((m) => view(m)));
        }
      }

      // Every client's read state and chat list (cursors, unread, members, mute, peer) equal the server's.
      expect(await readStateDiffs(stack, clients, chatsOf)).toEqual([]);

      // Every send stored exactly once (scheduled messages: once unless cancelled); seqs increasing.
      const all = [...truth.values()].flat();
      workload.checkStored(all);
      for (const history of truth.values()) {
        expect(history.map((m) => m.seq)).toEqual([...history.map((m) => m.seq)].sort((a, b) => a - b));
      }
      // The app heard each version of each message once, never an older one after a newer one.
      expect(workload.redelivered()).toEqual([]);

      const sum = (key: keyof ChatClient['stats']) => clients.reduce((n, c) => n + c.stats[key], 0);
      const figures = {
        seconds: Math.round((Date.now() - started) / 1000),
        ...workload.figures(),
        ...mix.figures(),
        stored: all.length,
        reconnects: sum('reconnects'),
        forced1001,
        ...chaos,
        deafSockets,
        resends: sum('resends'),
        sendsRecognisedByServer: sum('serverDuplicates'),
        duplicatesSuppressed: sum('duplicatesSuppressed'),
        catchUpRequests: sum('catchUpRequests'),
        resets: sum('resets'),
        markDelivered: sum('delivered'),
      };
      process.stdout.write(`client chaos soak: ${JSON.stringify(figures)}\n`);
      // A slow machine sends fewer within SOAK_SECONDS (the figures say how many); the checks above hold for all.
      if (workload.acked < MESSAGES) {
        process.stdout.write(
          `client chaos soak: ${workload.acked} of ${MESSAGES} messages within ${SECONDS} s\n`,
        );
      }
      expect(workload.acked).toBeGreaterThan(0);
      expect(figures.reconnects).toBeGreaterThan(0);
      expect(forced1001).toBeGreaterThan(0);
    },
    (SECONDS + 200) * 1000,
  );
});
