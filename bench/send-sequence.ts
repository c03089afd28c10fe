/**
 * One sender at a time: N 1:1 sends (each with a clientMessageId) through the local stack, each
 * waited for (ack and delivery) before the next, so every figure is the send path's own latency
 * with nothing queued behind it. For profiling (`node --cpu-prof --import tsx bench/send-sequence.ts`)
 * and for A/B runs of two versions on the same machine (interleave them: the machine is shared).
 *
 *   npx tsx bench/send-sequence.ts [sends=300] [pairs=10] [warm-up sends=2500] [fresh]
 *
 * With `fresh`, every send goes into a group of two created just before it (untimed): a chat whose
 * head no container has cached yet, as a chat written to now and then is on AWS. Without it, the
 * pairs' direct chats are reused and their heads are cached after their first send.
 *
 * Prints one JSON line: p50/p90 of send → recipient's `message.created` and of send → ack (ms), the
 * sequential DynamoDB round trips before the first post, the median timeline of a send, each kind
 * of call's median duration inside the sends (`callMs`) and alone on the same table afterwards
 * (`loneCallMs`, bench/lone-calls.ts).
 * The stack is the bench's (bench/stack.ts: metered clients, limits ×1000).
 */
import './env.ts';
import { getDocumentClient, getManagementClient } from '../lambdas/shared/clients.ts';
import { type BenchClient, closeAll, connectAll } from './client.ts';
import { loneCalls } from './lone-calls.ts';
import { startBenchStack } from './stack.ts';
import { warmUp as warmUpStack } from './warm-up.ts';

const sends = Number(process.argv[2] ?? 300);
const pairs = Number(process.argv[3] ?? 10);

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 100) / 100;
  return { p50: r(quantile(sorted, 0.5)), p90: r(quantile(sorted, 0.9)), n: sorted.length };
};

const stack = await startBenchStack();
// DynamoDB Local's JVM is warmed up first, as in `npm run bench` (bench/warm-up.ts).
const warmSends = Number(process.argv[4] ?? 2500);
const fresh = process.argv[5] === 'fresh';
if (warmSends > 0) {
  const w = await warmUpStack(
    stack.url,
    { sends: warmSends, runId: Math.random().toString(36).slice(2, 6), textChars: 225 },
    () => undefined,
  );
  console.error(`warm-up: ${w.sends} sends in ${w.seconds.toFixed(1)} s (${w.failed} failed)`);
  await stack.idle();
}

/**
 * The send's calls (start and end, ms) in order: DynamoDB commands of the sendMessage route and its
 * posts. From them: how many DynamoDB round trips ran one after the other before the first post
 * (the longest chain of calls each sent after the previous one answered), whatever the machine's load.
 */
const calls: { kind: 'db' | 'post'; name: string; start: number; end: number }[] = [];
/** Every measured call's duration (ms) by command: what one round trip of each kind takes here. */
const durations = new Map<string, number[]>();
/** Off during the warm-up sends. */
let measuring = false;
const track =
  (kind: 'db' | 'post') =>
  (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
  async (args: unknown) => {
    if (stack.meter?.scope.getStore() !== 'sendMessage') return next(args);
    const name = String(context.commandName ?? kind).replace(/Command$/, '');
    const call = { kind, name, start: performance.now(), end: Number.POSITIVE_INFINITY };
    calls.push(call);
    try {
      return await next(args);
    } finally {
      call.end = performance.now();
      if (measuring) durations.set(name, [...(durations.get(name) ?? []), call.end - call.start]);
    }
  };
getDocumentClient().middlewareStack.add(track('db') as never, { step: 'initialize', name: 'sendChain' });
getManagementClient().middlewareStack.add(track('post') as never, { step: 'initialize', name: 'sendChain' });
function chainBeforeFirstPost(): number {
  const firstPost = Math.min(...calls.filter((c) => c.kind === 'post').map((c) => c.start));
  const db = calls.filter((c) => c.kind === 'db' && c.start < firstPost).sort((a, b) => a.start - b.start);
  const depth = db.map(() => 1);
  db.forEach((c, j) => {
    for (let i = 0; i < j; i++) {
      const before = db[i] as (typeof db)[number];
      if (before.end <= c.start) depth[j] = Math.max(depth[j] as number, (depth[i] as number) + 1);
    }
  });
  return Math.max(0, ...depth);
}
const chains: number[] = [];
/**
 * Where a send's time goes (ms, from the frame's write on the sender's socket): until its first
 * DynamoDB call starts (gateway, handler entry, checks' CPU), until the last DynamoDB call that ends
 * before the first post, until the first post starts, the post itself, and until the recipient has
 * the event.
 */
const phases: Record<'toFirstCall' | 'toLastCall' | 'toFirstPost' | 'postEnd' | 'delivered', number[]> = {
  toFirstCall: [],
  toLastCall: [],
  toFirstPost: [],
  postEnd: [],
  delivered: [],
};
function recordPhases(writtenAt: number, deliveredAt: number): void {
  const post = calls.filter((c) => c.kind === 'post').sort((a, b) => a.start - b.start)[0];
  if (!post) return;
  const db = calls.filter((c) => c.kind === 'db' && c.end <= post.start);
  if (db.length === 0) return;
  phases.toFirstCall.push(Math.min(...db.map((c) => c.start)) - writtenAt);
  phases.toLastCall.push(Math.max(...db.map((c) => c.end)) - writtenAt);
  phases.toFirstPost.push(post.start - writtenAt);
  phases.postEnd.push(post.end - writtenAt);
  phases.delivered.push(deliveredAt - writtenAt);
}
const run = Math.random().toString(36).slice(2, 8);
const ids = Array.from({ length: pairs * 2 }, (_, i) => `seq${run}-${i}`);
const clients = await connectAll(stack.url, ids, 8, () => undefined);
const chats: { chatId: string; a: BenchClient; b: BenchClient }[] = [];
for (let i = 0; i < pairs; i++) {
  const a = clients[2 * i] as BenchClient;
  const b = clients[2 * i + 1] as BenchClient;
  const reply = await a.ok('createChat', { kind: 'direct', userId: b.userId });
  chats.push({ chatId: (reply.chat as { chatId: string }).chatId, a, b });
}

let waiting: { clientMessageId: string; done: (at: number) => void } | undefined;
for (const client of clients) {
  client.onEvent((frame, at) => {
    const message = frame.message as { clientMessageId?: unknown } | undefined;
    if (frame.type === 'message.created' && message?.clientMessageId === waiting?.clientMessageId) {
      waiting?.done(at);
    }
  });
}

const text = 'The quick brown fox jumps over the lazy dog. '.repeat(5);
const deliver: number[] = [];
const ack: number[] = [];
const warmUp = Math.min(30, Math.floor(sends / 10));
let before = stack.meter?.snapshot();
for (let i = 0; i < sends + warmUp; i++) {
  let chat = chats[i % chats.length] as (typeof chats)[number];
  if (fresh) {
    const made = await chat.a.ok('createChat', {
      kind: 'group',
      name: `fresh ${i}`,
      memberIds: [chat.b.userId],
    });
    chat = { ...chat, chatId: (made.chat as { chatId: string }).chatId };
    await stack.idle(); // the new chat's pipeline work, before the send is timed
  }
  const [sender, recipient] = i % 2 === 0 ? [chat.a, chat.b] : [chat.b, chat.a];
  void recipient;
  const clientMessageId = `s${run}-${i}`;
  let writtenAt = 0;
  calls.length = 0;
  measuring = i >= warmUp;
  const delivered = new Promise<number>((done) => {
    waiting = { clientMessageId, done };
  });
  const reply = await sender.request(
    'sendMessage',
    { chatId: chat.chatId, text, clientMessageId },
    { onWrite: () => (writtenAt = performance.now()) },
  );
  const ackAt = performance.now();
  if (reply.type !== 'ack') throw new Error(`send failed: ${JSON.stringify(reply)}`);
  const deliveredAt = await delivered;
  if (i === warmUp - 1) before = stack.meter?.snapshot();
  if (i >= warmUp) {
    ack.push(ackAt - writtenAt);
    deliver.push(deliveredAt - writtenAt);
    chains.push(chainBeforeFirstPost());
    recordPhases(writtenAt, deliveredAt);
  }
}
// What each route did per measured send (handler ms, DynamoDB calls by command, posts).
const perSend = (n: number) => Math.round((n / sends) * 100) / 100;
const routes = Object.fromEntries(
  Object.entries(stack.meter && before ? stack.meter.since(before) : {}).map(([route, a]) => [
    route,
    {
      invocations: perSend(a.invocations),
      ms: perSend(a.totalMs),
      posts: perSend(a.posts),
      calls: Object.fromEntries(
        Object.entries(a.commands).map(([c, s]) => [c.replace(/Command$/, ''), perSend(s.calls)]),
      ),
    },
  ]),
);
const roundTrips = { min: Math.min(...chains), p50: summary(chains).p50, max: Math.max(...chains) };
const timeline = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, summary(v).p50]));
const callMs = Object.fromEntries([...durations].map(([name, v]) => [name, summary(v).p50]));
// The same kinds of call one at a time, nothing else in flight (bench/lone-calls.ts).
await stack.idle();
const loneCallMs = stack.tableName ? await loneCalls(getDocumentClient(), stack.tableName, text) : undefined;
console.log(
  JSON.stringify({
    deliver: summary(deliver),
    ack: summary(ack),
    roundTrips,
    timeline,
    callMs,
    loneCallMs,
    perSend: routes,
  }),
);
await closeAll(clients);
await stack.stop();
process.exit(0);
