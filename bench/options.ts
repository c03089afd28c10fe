/**
 * Bench options: flags override environment variables, which override the defaults. `--quick`
 * shrinks everything for a smoke run (about 80 s).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TABLE_NAME } from '../local/defaults.ts';

export interface BenchOptions {
  readonly quick: boolean;
  /** A running gateway (ws://host:port); handlers then run elsewhere and cost is not metered. */
  readonly url: string | undefined;
  /** A running DynamoDB (Local). */
  readonly dynamoEndpoint: string | undefined;
  /** With `url`: the running stack's table (the floor writes to it). */
  readonly table: string;
  /** Connected users during the latency and throughput phases. */
  readonly users: number;
  /** Seconds per latency phase (1:1, group of 10, group of 100). */
  readonly phaseSeconds: number;
  /** Send rates (messages/s) of the latency phases. */
  readonly rateDirect: number;
  readonly rateGroup10: number;
  readonly rateGroup100: number;
  /** Members (all connected) of the group-of-1,000 phase (0: skip it), and its send rate. */
  readonly bigGroup: number;
  readonly rateGroup1000: number;
  /** Messages of the busy-group part (20 members, one chat; 0: skip it), and their rate in total. */
  readonly busyMessages: number;
  readonly rateBusy: number;
  /** Characters of text per message in the latency phases. */
  readonly textChars: number;
  /** Throughput step-up: start rate (messages/s), factor per step, steps at most, seconds per step. */
  readonly throughputStart: number;
  readonly throughputFactor: number;
  readonly throughputSteps: number;
  readonly throughputStepSeconds: number;
  /** Repetitions per action kind in the cost phase. */
  readonly costRepeat: number;
  /** Unrelated chats seeded before the cost phase is repeated (growth check). */
  readonly seedChats: number;
  /** Fresh node processes per cold-start measurement. */
  readonly coldStartRuns: number;
  /** Messages of each kind (text, one image) in the media part, and the image's size in bytes. */
  readonly mediaRepeat: number;
  readonly mediaBytes: number;
  /** Unmeasured sends through the stack before anything is timed (bench/warm-up.ts; 0: none). */
  readonly warmUpSends: number;
  /** Fan-out waves: the modelled round trip of one post (ms), and sends per setting. */
  readonly postMs: number;
  readonly wavesSends: number;
  /** Which parts to run. */
  readonly only: ReadonlySet<string>;
  /** Where results go. */
  readonly resultsDir: string;
}

export const PARTS = [
  'floor',
  'latency',
  'throughput',
  'cost',
  'media',
  'coldstart',
  'client',
  'push',
  'reactions',
  'hook',
  'waves',
  'busy',
] as const;

const HELP = `npm run bench -- [options]

  --quick                 small sizes (about 80 s)
  --only a,b              parts to run: ${PARTS.join(', ')}
  --users N               connected users (BENCH_USERS, default 200)
  --seconds N             seconds per latency phase (BENCH_SECONDS, default 10; quick 4)
  --rate-direct N         1:1 messages/s (BENCH_RATE_DIRECT, default 10)
  --rate-group10 N        group-of-10 messages/s (BENCH_RATE_GROUP10, default 3)
  --rate-group100 N       group-of-100 messages/s (BENCH_RATE_GROUP100, default 0.5)
  --big-group N           members of the big-group phase, all connected (BENCH_BIG_GROUP, default
                          1000; quick 400; 0 skips it)
  --rate-group1000 N      big-group messages/s (BENCH_RATE_GROUP1000, default 0.5)
  --busy N                busy group: messages from 20 members into one chat (BENCH_BUSY, default
                          100; quick 50; 0 skips it)
  --rate-busy N           busy group: messages/s from all members together (BENCH_RATE_BUSY, default 100)
  --text N                characters per message (BENCH_TEXT, default 200)
  --tp-start N            throughput: first step's messages/s (default 10; ×1.5 per step)
  --tp-steps N            throughput: steps at most (default 6; quick 3)
  --tp-seconds N          throughput: seconds per step (default 4; quick 3)
  --cost-repeat N         cost: repetitions per action (default 5; quick 3); also reactions'
  --seed-chats N          cost: unrelated chats seeded for the growth check (default 2000; quick 300)
  --cold-runs N           cold start: fresh processes per figure (default 3; quick 1)
  --media-repeat N        media: messages of each kind, text and one image (default 20; quick 6)
  --media-bytes N         media: the image's size in bytes (default 204800)
  --post-ms N             waves: each post's modelled round trip on AWS (BENCH_POST_MS, default 30;
                          0: none, as locally)
  --waves-sends N         waves: sends per posts-in-flight setting (default 8; quick 3)
  --warm-up N             unmeasured sends before anything is timed: DynamoDB Local's JVM warms
                          up (BENCH_WARMUP, default 2500; quick 500; 0 skips it)
  --url ws://…            use a running gateway (BENCH_URL); cost is then not measured
  --dynamo http://…       use a running DynamoDB Local (DYNAMODB_ENDPOINT)
  --table NAME            with --url: the running stack's table, where the floor's write goes
                          (BENCH_TABLE, default chat: npm run dev's; a fresh table answers slower
                          than a warm one and would flatter every ratio)
  --results DIR           results folder (default bench/results)
`;

function num(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${value}`);
  return n;
}

/** A count where 0 means "skip it". */
function orZero(value: string | undefined, fallback: number): number {
  if (value === '0') return 0;
  return Math.round(num(value, fallback));
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      help: { type: 'boolean' },
      only: { type: 'string' },
      users: { type: 'string' },
      seconds: { type: 'string' },
      'rate-direct': { type: 'string' },
      'rate-group10': { type: 'string' },
      'rate-group100': { type: 'string' },
      'big-group': { type: 'string' },
      'rate-group1000': { type: 'string' },
      busy: { type: 'string' },
      'rate-busy': { type: 'string' },
      text: { type: 'string' },
      'tp-start': { type: 'string' },
      'tp-steps': { type: 'string' },
      'tp-seconds': { type: 'string' },
      'cost-repeat': { type: 'string' },
      'seed-chats': { type: 'string' },
      'cold-runs': { type: 'string' },
      'media-repeat': { type: 'string' },
      'media-bytes': { type: 'string' },
      'warm-up': { type: 'string' },
      'post-ms': { type: 'string' },
      'waves-sends': { type: 'string' },
      url: { type: 'string' },
      dynamo: { type: 'string' },
      table: { type: 'string' },
      results: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = Boolean(values.quick) || env.BENCH_QUICK === '1';
  const only = new Set(
    (values.only ?? env.BENCH_ONLY ?? PARTS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const part of only) {
    if (!(PARTS as readonly string[]).includes(part)) throw new Error(`unknown part "${part}"\n\n${HELP}`);
  }
  return {
    quick,
    url: values.url ?? env.BENCH_URL,
    dynamoEndpoint: values.dynamo ?? env.DYNAMODB_ENDPOINT,
    table: values.table ?? env.BENCH_TABLE ?? DEFAULT_TABLE_NAME,
    users: Math.round(num(values.users ?? env.BENCH_USERS, quick ? 120 : 200)),
    phaseSeconds: num(values.seconds ?? env.BENCH_SECONDS, quick ? 4 : 10),
    rateDirect: num(values['rate-direct'] ?? env.BENCH_RATE_DIRECT, 10),
    rateGroup10: num(values['rate-group10'] ?? env.BENCH_RATE_GROUP10, 3),
    rateGroup100: num(values['rate-group100'] ?? env.BENCH_RATE_GROUP100, 0.5),
    bigGroup: orZero(values['big-group'] ?? env.BENCH_BIG_GROUP, quick ? 400 : 1000),
    rateGroup1000: num(values['rate-group1000'] ?? env.BENCH_RATE_GROUP1000, 0.5),
    busyMessages: orZero(values.busy ?? env.BENCH_BUSY, quick ? 50 : 100),
    rateBusy: num(values['rate-busy'] ?? env.BENCH_RATE_BUSY, 100),
    textChars: Math.round(num(values.text ?? env.BENCH_TEXT, 200)),
    throughputStart: num(values['tp-start'] ?? env.BENCH_TP_START, 10),
    throughputFactor: 1.5,
    throughputSteps: Math.round(num(values['tp-steps'] ?? env.BENCH_TP_STEPS, quick ? 3 : 6)),
    throughputStepSeconds: num(values['tp-seconds'] ?? env.BENCH_TP_SECONDS, quick ? 3 : 4),
    costRepeat: Math.round(num(values['cost-repeat'] ?? env.BENCH_COST_REPEAT, quick ? 3 : 5)),
    seedChats: Math.round(num(values['seed-chats'] ?? env.BENCH_SEED_CHATS, quick ? 300 : 2000)),
    coldStartRuns: Math.round(num(values['cold-runs'] ?? env.BENCH_COLD_RUNS, quick ? 1 : 3)),
    mediaRepeat: Math.round(num(values['media-repeat'] ?? env.BENCH_MEDIA_REPEAT, quick ? 6 : 20)),
    mediaBytes: Math.round(num(values['media-bytes'] ?? env.BENCH_MEDIA_BYTES, 200 * 1024)),
    warmUpSends: orZero(values['warm-up'] ?? env.BENCH_WARMUP, quick ? 500 : 2500),
    postMs: orZero(values['post-ms'] ?? env.BENCH_POST_MS, 30),
    wavesSends: Math.round(num(values['waves-sends'] ?? env.BENCH_WAVES_SENDS, quick ? 3 : 8)),
    only,
    resultsDir: values.results ?? env.BENCH_RESULTS ?? 'bench/results',
  };
}
