/**
 * `npx tsx scripts/load-ab.ts --ref <git ref> [--runs N] [handler…]`: module-load time of the deployed
 * bundles of an earlier commit (A) against the working tree (B), for a few handlers.
 *
 * Both are built with the working tree's lib/bundling.ts options; then A and B are imported in fresh
 * `node` processes, alternately, N times each, so that whatever else the machine does weighs on both
 * alike. Each sample is the wall-clock and the CPU time (user + system) of `await import(bundle)` only.
 * Prints the medians and B/A. Used for the logging and metrics budget in docs/performance.md.
 * `--a-unaliased` builds A without the package aliases of lib/bundling.ts (as A was deployed before
 * they existed); by default both sides get them, so that B/A measures the code alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE, esbuildOptions } from '../lib/bundling.ts';
import { PROJECT_ROOT } from '../lib/chat-function.ts';

const ENTRIES: Record<string, string> = {
  authorizer: 'lambdas/handlers/authorizer.ts',
  connect: 'lambdas/handlers/connect.ts',
  sendMessage: 'lambdas/handlers/sendMessage.ts',
  listChats: 'lambdas/handlers/listChats.ts',
  ping: 'lambdas/handlers/ping.ts',
  default: 'lambdas/handlers/default.ts',
};

const TIMER = [
  'const t = performance.now(); const c = process.cpuUsage();',
  'await import(process.argv[1]);',
  'const d = process.cpuUsage(c);',
  'process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (d.user + d.system) / 1000 }));',
].join(' ');

function sample(file: string): { wall: number; cpu: number } {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', TIMER, pathToFileURL(file).href], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (out.status !== 0) throw new Error(`loading ${file} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as { wall: number; cpu: number };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ref: { type: 'string' },
      runs: { type: 'string', default: '21' },
      'a-unaliased': { type: 'boolean', default: false },
    },
  });
  if (!values.ref) throw new Error('usage: tsx scripts/load-ab.ts --ref <git ref> [--runs N] [handler…]');
  const runs = Number(values.runs);
  const handlers = positionals.length > 0 ? positionals : Object.keys(ENTRIES);
  const dir = mkdtempSync(join(tmpdir(), 'load-ab-'));
  try {
    const base = join(dir, 'a-src');
    mkdirSync(base);
    execFileSync('sh', ['-c', `git archive ${values.ref} | tar -x -C ${base}`], { cwd: PROJECT_ROOT });
    symlinkSync(resolve(PROJECT_ROOT, 'node_modules'), join(base, 'node_modules'), 'dir');
    const rows: string[] = [];
    for (const handler of handlers) {
      const entry = ENTRIES[handler];
      if (!entry) throw new Error(`unknown handler ${handler}; one of ${Object.keys(ENTRIES).join(', ')}`);
      const files = { a: join(dir, `${handler}-a.mjs`), b: join(dir, `${handler}-b.mjs`) };
      const aSettings = values['a-unaliased'] ? { ...BUNDLE, aliases: {} } : BUNDLE;
      await build({ ...esbuildOptions(join(base, entry), files.a, aSettings), logLevel: 'error' });
      await build({ ...esbuildOptions(resolve(PROJECT_ROOT, entry), files.b), logLevel: 'error' });
      const a: { wall: number; cpu: number }[] = [];
      const b: { wall: number; cpu: number }[] = [];
      for (let i = 0; i < runs; i++) {
        a.push(sample(files.a));
        b.push(sample(files.b));
      }
      const kb = (f: string) => (statSync(f).size / 1024).toFixed(1);
      const m = (xs: { wall: number; cpu: number }[], k: 'wall' | 'cpu') => median(xs.map((x) => x[k]));
      const ratio = (k: 'wall' | 'cpu') => `${((m(b, k) / m(a, k) - 1) * 100).toFixed(1)} %`;
      rows.push(
        `| ${handler} | ${kb(files.a)} → ${kb(files.b)} KB | ${m(a, 'wall').toFixed(1)} → ${m(b, 'wall').toFixed(1)} ms (${ratio('wall')}) | ${m(a, 'cpu').toFixed(1)} → ${m(b, 'cpu').toFixed(1)} ms (${ratio('cpu')}) |`,
      );
    }
    process.stdout.write(
      `A = ${values.ref}${values['a-unaliased'] ? ' (without aliases)' : ''}, B = working tree; medians of ${runs} fresh processes each, alternating\n\n` +
        '| handler | bundle | load, wall-clock | load, CPU time |\n| --- | --- | --- | --- |\n' +
        `${rows.join('\n')}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
